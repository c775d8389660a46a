/** pids.max / pids.current are the same files, with the same values, on v1 and v2. */
export { pidsController as pidsV2 } from '../v1/pids';
