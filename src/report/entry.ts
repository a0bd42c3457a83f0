/** The report command's entry: runs main and exits with its code. */
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
