/** An error with the HTTP status the API answers with; the CLI prints the message and exits 125. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly exitCode = 125) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (ref: string) => new ApiError(404, `No such container: ${ref}`);
export const badRequest = (msg: string) => new ApiError(400, msg);
export const conflict = (msg: string) => new ApiError(409, msg);
