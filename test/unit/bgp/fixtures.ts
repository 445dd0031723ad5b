// Annotated hex fixtures: byte-exact messages with a comment per field.
import {hex} from './hex.js'

export const OPEN_FRR = hex(`
  ffffffffffffffffffffffffffffffff   # marker
  0041                               # length 65
  01                                 # type OPEN
  04                                 # version 4
  fc01                               # my AS 64513
  005a                               # hold time 90
  c6120001                           # BGP identifier 198.18.0.1
  24                                 # optional parameters length 36
  02 22                              # parameter: capabilities, 34 octets
    01 04 0001 00 01                 # multiprotocol IPv4 unicast
    01 04 0002 00 01                 # multiprotocol IPv6 unicast
    02 00                            # route refresh
    46 00                            # enhanced route refresh
    41 04 0000fc01                   # 4-octet AS 64513
    40 06 8078 0001 01 80            # graceful restart: R bit, 120 s; IPv4 unicast, forwarding preserved
    49 02 0000                       # FQDN (unknown here)
`)

export const UPDATE_V4 = hex(`
  ffffffffffffffffffffffffffffffff   # marker
  0055                               # length 85
  02                                 # type UPDATE
  0000                               # withdrawn routes length 0
  0035                               # total path attribute length 53
  40 01 01 00                        # ORIGIN IGP
  40 02 0a 02 02 0000fc00 fa56ea01   # AS_PATH: AS_SEQUENCE of 2: 64512 4200000001
  40 03 04 c6120002                  # NEXT_HOP 198.18.0.2
  80 04 04 00000000                  # MULTI_EXIT_DISC 0
  c0 08 04 fde80064                  # COMMUNITIES 65000:100
  c0 20 0c 0000fde8 00000001 00000002 # LARGE_COMMUNITY 65000:1:2
  18 cb0071                          # NLRI 203.0.113.0/24
  20 cb007107                        # NLRI 203.0.113.7/32
`)

export const UPDATE_V6 = hex(`
  ffffffffffffffffffffffffffffffff   # marker
  0065                               # length 101
  02                                 # type UPDATE
  0000                               # withdrawn routes length 0
  004e                               # total path attribute length 78
  90 0e 003d                         # MP_REACH_NLRI, extended length 61
     0002 01                         # AFI IPv6, SAFI unicast
     20                              # next hop length 32
     20010db8000000000000000000000002 # global next hop 2001:db8::2
     fe800000000000000000000000000002 # link-local next hop fe80::2
     00                              # reserved
     30 20010db8ffff                 # 2001:db8:ffff::/48
     80 20010db8ffff0000000000000000000a # 2001:db8:ffff::a/128
  40 01 01 00                        # ORIGIN IGP
  40 02 06 02 01 0000fc00            # AS_PATH: AS_SEQUENCE 64512
`)

export const OPEN_EXTENDED = hex(`
  ffffffffffffffffffffffffffffffff   # marker
  0035                               # length 53
  01                                 # type OPEN
  04                                 # version 4
  fc00                               # my AS 64512
  005a                               # hold time 90
  c6120002                           # BGP identifier 198.18.0.2
  18                                 # optional parameters length 24
  02 16                              # parameter: capabilities, 22 octets
    01 04 0001 00 01                 # multiprotocol IPv4 unicast
    01 04 0002 00 01                 # multiprotocol IPv6 unicast
    05 06                            # extended next hop (RFC 8950), one tuple of 6 octets:
          0001                       #   NLRI AFI IPv4
          0001                       #   NLRI SAFI unicast (2 octets here, unlike multiprotocol)
          0002                       #   next hop AFI IPv6
    06 00                            # extended message (RFC 8654)
`)

export const UPDATE_V4_NH6 = hex(`
  ffffffffffffffffffffffffffffffff   # marker
  0045                               # length 69
  02                                 # type UPDATE
  0000                               # withdrawn routes length 0
  002e                               # total path attribute length 46
  80 0e 1e                           # MP_REACH_NLRI, optional, length 30
     0001 01                         # AFI IPv4, SAFI unicast (RFC 8950 4)
     10                              # next hop length 16
     20010db8000200000000000000000002 # next hop 2001:db8:2::2
     00                              # reserved
     18 cb0071                       # 203.0.113.0/24
     20 cb00710a                     # 203.0.113.10/32
  40 01 01 00                        # ORIGIN IGP
  40 02 06 02 01 0000fc00            # AS_PATH: AS_SEQUENCE 64512
`)

export const UPDATE_V4_NH6_LL = hex(`
  ffffffffffffffffffffffffffffffff   # marker
  0050                               # length 80
  02                                 # type UPDATE
  0000                               # withdrawn routes length 0
  0039                               # total path attribute length 57
  80 0e 29                           # MP_REACH_NLRI, optional, length 41
     0001 01                         # AFI IPv4, SAFI unicast
     20                              # next hop length 32
     20010db8000200000000000000000001 # global next hop 2001:db8:2::1
     fe800000000000000000000000000001 # link-local next hop fe80::1
     00                              # reserved
     18 cb0071                       # 203.0.113.0/24
  40 01 01 00                        # ORIGIN IGP
  40 02 06 02 01 0000fc01            # AS_PATH: AS_SEQUENCE 64513
`)
