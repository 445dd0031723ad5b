// Frames captured in the lab (tcpdump in a namespace, decoded by tshark without errors), one comment per field.
// Two hosts on a veth: A 02:00:00:00:00:0a 198.18.30.1 fe80::ff:fe00:a, B 02:00:00:00:00:0b 198.18.30.2 2001:db8:30::2.

/** Strip comments and whitespace from an annotated hex dump. */
export const hex = (s: string): Buffer => Buffer.from(s.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex')

/** `arping 198.18.30.2` from A (Habets arping pads to 58 bytes). */
export const ARP_REQUEST_FROM_ARPING = hex(`
  ff ff ff ff ff ff        # Ethernet destination: broadcast
  02 00 00 00 00 0a        # Ethernet source: A
  08 06                    # EtherType: ARP
  00 01                    # hardware type: Ethernet
  08 00                    # protocol type: IPv4
  06                       # hardware address length
  04                       # protocol address length
  00 01                    # opcode: request
  02 00 00 00 00 0a        # sender MAC: A
  c6 12 1e 01              # sender IP: 198.18.30.1
  00 00 00 00 00 00        # target MAC: unknown
  c6 12 1e 02              # target IP: 198.18.30.2
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   # padding
`)

/** B's kernel answering it. */
export const ARP_REPLY_FROM_KERNEL = hex(`
  02 00 00 00 00 0a        # Ethernet destination: A
  02 00 00 00 00 0b        # Ethernet source: B
  08 06                    # EtherType: ARP
  00 01 08 00 06 04        # Ethernet / IPv4 / 6 / 4
  00 02                    # opcode: reply
  02 00 00 00 00 0b        # sender MAC: B
  c6 12 1e 02              # sender IP: 198.18.30.2
  02 00 00 00 00 0a        # target MAC: A
  c6 12 1e 01              # target IP: 198.18.30.1
`)

/** `ndisc6 2001:db8:30::2 eth0` from A. */
export const NS_FROM_NDISC6 = hex(`
  33 33 ff 00 00 02        # Ethernet destination: solicited-node group MAC of ::2
  02 00 00 00 00 0a        # Ethernet source: A
  86 dd                    # EtherType: IPv6
  60 09 0f 8b              # version 6, traffic class 0, flow label 0x90f8b
  00 20                    # payload length: 32
  3a                       # next header: ICMPv6
  ff                       # hop limit: 255
  fe 80 00 00 00 00 00 00 00 00 00 ff fe 00 00 0a   # source: fe80::ff:fe00:a
  ff 02 00 00 00 00 00 00 00 00 00 01 ff 00 00 02   # destination: ff02::1:ff00:2
  87                       # ICMPv6 type: neighbor solicitation
  00                       # code
  4c 1d                    # checksum
  00 00 00 00              # reserved
  20 01 0d b8 00 30 00 00 00 00 00 00 00 00 00 02   # target: 2001:db8:30::2
  01 01                    # option: source link-layer address, length 1 (8 bytes)
  02 00 00 00 00 0a        # A's MAC
`)

/** B's kernel answering it. */
export const NA_FROM_KERNEL = hex(`
  02 00 00 00 00 0a        # Ethernet destination: A
  02 00 00 00 00 0b        # Ethernet source: B
  86 dd                    # EtherType: IPv6
  60 00 00 00              # version 6, traffic class 0, flow label 0
  00 20                    # payload length: 32
  3a                       # next header: ICMPv6
  ff                       # hop limit: 255
  20 01 0d b8 00 30 00 00 00 00 00 00 00 00 00 02   # source: 2001:db8:30::2
  fe 80 00 00 00 00 00 00 00 00 00 ff fe 00 00 0a   # destination: fe80::ff:fe00:a
  88                       # ICMPv6 type: neighbor advertisement
  00                       # code
  ba 37                    # checksum
  60 00 00 00              # flags: solicited (0x40) + override (0x20); reserved
  20 01 0d b8 00 30 00 00 00 00 00 00 00 00 00 02   # target: 2001:db8:30::2
  02 01                    # option: target link-layer address, length 1
  02 00 00 00 00 0b        # B's MAC
`)

export const MAC_A = Buffer.from('02000000000a', 'hex')
export const MAC_B = Buffer.from('02000000000b', 'hex')
