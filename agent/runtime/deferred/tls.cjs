// Stands in for node:tls inside `ws` (agent/runtime/defer-ws-tls.ts): the real module is
// loaded on the first property read, which only a wss:// connection makes.
'use strict';
let real;
module.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:tls'))[key] });
