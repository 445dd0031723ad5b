// The explicit command registry (oclif "explicit" strategy): one import, no directory scan, so the CLI can be bundled.
// Command id → class. Add new commands here; the manifest test fails when this and oclif.manifest.json disagree.
import type {Command} from '@oclif/core'
import BgpProbe from './commands/bgp/probe.js'
import BgpStatus from './commands/bgp/status.js'
import Complete from './commands/complete.js'
import Completion from './commands/completion.js'
import Doctor from './commands/doctor.js'
import ConfigImport from './commands/config/import.js'
import L2Probe from './commands/l2/probe.js'
import PeerAdd from './commands/peer/add.js'
import PeerList from './commands/peer/list.js'
import PeerRemove from './commands/peer/remove.js'
import PeerShow from './commands/peer/show.js'
import PoolAdd from './commands/pool/add.js'
import PoolList from './commands/pool/list.js'
import PoolRemove from './commands/pool/remove.js'
import PoolSet from './commands/pool/set.js'
import PoolShow from './commands/pool/show.js'
import Install from './commands/install.js'
import Prepare from './commands/prepare.js'
import Status from './commands/status.js'
import Uninstall from './commands/uninstall.js'

export const COMMANDS: Record<string, Command.Class> = {
  '__complete': Complete,
  'bgp:probe': BgpProbe,
  'bgp:status': BgpStatus,
  'completion': Completion,
  'config:import': ConfigImport,
  'doctor': Doctor,
  'install': Install,
  'l2:probe': L2Probe,
  'peer:add': PeerAdd,
  'peer:list': PeerList,
  'peer:remove': PeerRemove,
  'peer:show': PeerShow,
  'pool:add': PoolAdd,
  'pool:list': PoolList,
  'pool:remove': PoolRemove,
  'pool:set': PoolSet,
  'pool:show': PoolShow,
  'prepare': Prepare,
  'status': Status,
  'uninstall': Uninstall,
}
