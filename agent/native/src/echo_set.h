/* Echo sets (echo_set.c): registers their functions on the addon's exports. */
#ifndef MESHPROBE_ECHO_SET_H
#define MESHPROBE_ECHO_SET_H
#include <node_api.h>
void echo_set_init(napi_env env, napi_value exports);
#endif
