// Modules that `npm run build` generates after tsc (the schema validators): a build made with tsc
// alone lacks them, and the apps then say so and how to fix it instead of a bare
// ERR_MODULE_NOT_FOUND.
import { BuildIncompleteError } from './errors.js';

/** Imports a generated module; `file` names it for the error when it is missing. */
export async function importGenerated<T>(load: () => Promise<T>, file: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') throw new BuildIncompleteError(file, err);
    throw err;
  }
}
