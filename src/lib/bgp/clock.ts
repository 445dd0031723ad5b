export {type Clock, systemClock, Timer} from '../clock.js' // kept for branches that import it; new code imports ../clock.js
