/**
 * meshprobe's version, for code that cannot read package.json (shared/ runs in workerd too,
 * and agents announce it). A test keeps it equal to package.json's version.
 */
export const VERSION = '0.1.0';
/** API generation of the HTTP routes, the event stream and the agent protocol; bumped on an incompatible change. */
export const API_VERSION = 1;
