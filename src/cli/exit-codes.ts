/** Documented exit codes of the `deepssim` CLI. */
/** Runtime error: unreadable image, corrupt weights, failed download, any failed pair in a batch. */
export const EXIT_RUNTIME = 1;
/** Usage error: unknown command or option, bad option value, wrong number of arguments. */
export const EXIT_USAGE = 2;
/** `score --fail-below`: the score is below the threshold. */
export const EXIT_BELOW_THRESHOLD = 3;
