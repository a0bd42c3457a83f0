/** Entry point of the njs-tracing-sidecar command (bundled to dist/sidecar.js). */
import { main } from './main.js';

await main();
