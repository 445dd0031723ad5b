export {type Clock, systemClock} from '../clock.js' // kept for branches that import it; new code imports ../clock.js
