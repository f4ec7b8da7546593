/*
 * Echo sets: many long-lived TCP connections to TCP echo servers (tcp_ping_prometheus' frames),
 * driven from one epoll set, for the tcpping monitor engine (agent/socket/echo-set.ts wraps it).
 *
 * Why not node:net: a thousand connections probed every 200 ms through net.Socket cost ~9 % of a
 * core in Node's stream machinery alone (a write request, a read callback and a Buffer each per
 * probe), above the whole budget once the engine's own work is added; a C client doing the same
 * traffic costs ~7 %, nearly all of it the kernel's TCP work (and the wake-ups for each reply).
 * Here the probes due in one tick leave in one call, and replies from every connection are read
 * in one go, either when the event loop sees them or, for a `polled` set, when the caller polls
 * (a monitor engine does each tick: the replies then cost no wake-up, and their times are still
 * exact, since they are the kernel's receive times). JS gets only a count: the events are in a
 * Float64Array it owns. Nothing is allocated per probe.
 *
 * Frames: "TCPPING\0" | seq (uint64 LE) | Unix time ns (uint64 LE) = 24 bytes, or the older
 * 16-byte framing without the magic (`legacy`). A reply is matched by its sequence; a reply with a
 * wrong magic closes the connection, as the server would.
 *
 * Events, EV_FIELDS doubles each, in the buffer given to open():
 *   kind (EV_CONNECTED | EV_REPLY | EV_CLOSED), slot, value, time
 *   EV_CONNECTED: value 0; EV_REPLY: value = the sequence; EV_CLOSED: value = errno (0: the peer
 *   closed). time: ms since the set's epoch on CLOCK_REALTIME (the clock of send()'s times); a
 *   reply's is the kernel's receive time of the segment (SO_TIMESTAMPNS).
 *
 * Slots are the caller's small integers (0 … MAX_SLOTS−1), one connection each.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "echo_set.h"
#include "sockaddr.h"

#define MAX_SLOTS 65536
#define EV_FIELDS 4
#define EV_CONNECTED 1
#define EV_REPLY 2
#define EV_CLOSED 3
#define FRAME_MAGIC 24
#define FRAME_LEGACY 16
/* epoll events taken per call, and calls per wake-up (fairness with the rest of the loop). */
#define WAIT_BATCH 256
#define MAX_ROUNDS 64

static const char MAGIC[8] = {'T', 'C', 'P', 'P', 'I', 'N', 'G', 0};

typedef struct {
  int fd; /* -1: none */
  int connecting;
  int frame; /* FRAME_MAGIC | FRAME_LEGACY */
  int held;  /* bytes of a partial reply in `buf` */
  unsigned char buf[FRAME_MAGIC];
} conn_t;

typedef struct {
  uv_poll_t poll;
  int ep;
  int handle_open;
  int closed;
  int finalized;
  napi_env env;
  napi_ref callback;
  napi_ref resource;
  napi_ref events_ref;
  napi_async_context actx;
  double *ev;
  uint32_t ev_max; /* events the buffer holds */
  uint32_t ev_n;
  /* Polled (open's `polled`): no uv_poll; JS calls poll() each tick and reads the events it returns. */
  int polled;
  /* Inside a call from JS: a full event buffer is handed over with napi_call_function. */
  int in_js;
  conn_t *conns; /* MAX_SLOTS, allocated on open */
} set_t;

/* Times handed to JS: ms since an epoch fixed at the first open, on CLOCK_REALTIME, the clock the
 * kernel stamps received segments with (SO_TIMESTAMPNS), so send and receive times subtract. */
static int64_t epoch_ns = 0;

static double stamp_ms(int64_t ns) { return (double)(ns - epoch_ns) / 1e6; }

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return stamp_ms((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

static uint64_t unix_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static napi_value fail(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

static set_t *get_set(napi_env env, napi_value v) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return (set_t *)p;
}

static int get_slot(napi_env env, set_t *s, napi_value v) {
  int32_t slot = -1;
  if (napi_get_value_int32(env, v, &slot) != napi_ok) return -1;
  return slot >= 0 && slot < MAX_SLOTS ? slot : -1;
}

/* Hands the events gathered so far to JS (the count only). Returns 0 when the set was closed in it. */
static int flush(set_t *s) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_value n, cb, recv, result;
  if (s->ev_n == 0) return !s->closed;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  napi_create_uint32(env, s->ev_n, &n);
  s->ev_n = 0;
  napi_get_reference_value(env, s->callback, &cb);
  napi_get_reference_value(env, s->resource, &recv);
  if ((s->in_js ? napi_call_function(env, recv, cb, 1, &n, &result) : napi_make_callback(env, s->actx, recv, cb, 1, &n, &result)) == napi_pending_exception) {
    napi_value ex;
    napi_get_and_clear_last_exception(env, &ex);
    napi_fatal_exception(env, ex);
  }
  napi_close_handle_scope(env, scope);
  return !s->closed;
}

static void event(set_t *s, int kind, int slot, double value, double t) {
  double *e;
  if (s->ev_n == s->ev_max && !flush(s)) return;
  e = s->ev + (size_t)s->ev_n * EV_FIELDS;
  e[0] = kind;
  e[1] = slot;
  e[2] = value;
  e[3] = t;
  s->ev_n++;
}

static void drop_conn(set_t *s, int slot) {
  conn_t *c = &s->conns[slot];
  if (c->fd < 0) return;
  epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  c->connecting = 0;
  c->held = 0;
}

static void closed(set_t *s, int slot, int err) {
  drop_conn(s, slot);
  event(s, EV_CLOSED, slot, err, now_ms());
}

/* Reads what `slot` has; a frame at a time, matched by JS through its sequence. */
static void readable(set_t *s, int slot) {
  conn_t *c = &s->conns[slot];
  unsigned char in[4096];
  union {
    char buf[CMSG_SPACE(sizeof(struct timespec))];
    struct cmsghdr align;
  } ctrl;
  for (int round = 0; round < 16 && c->fd >= 0; round++) {
    struct iovec iov = {.iov_base = in, .iov_len = sizeof in};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl.buf, .msg_controllen = sizeof ctrl.buf};
    ssize_t r = recvmsg(c->fd, &m, MSG_DONTWAIT);
    /* The kernel's receive time of the last segment read (tcp_recv_timestamp): exact for the one
     * reply a read holds at a monitor's pace; without it, now. */
    double t = NAN;
    if (r > 0) {
      for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
          struct timespec ts;
          memcpy(&ts, CMSG_DATA(cm), sizeof ts);
          t = stamp_ms((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec);
        }
      }
      if (isnan(t)) t = now_ms();
    }
    if (r == 0) {
      closed(s, slot, 0);
      return;
    }
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) closed(s, slot, errno);
      return;
    }
    for (ssize_t at = 0; at < r;) {
      ssize_t take = c->frame - c->held;
      if (take > r - at) take = r - at;
      memcpy(c->buf + c->held, in + at, (size_t)take);
      c->held += (int)take;
      at += take;
      if (c->held < c->frame) break;
      c->held = 0;
      if (c->frame == FRAME_MAGIC && memcmp(c->buf, MAGIC, 8) != 0) {
        closed(s, slot, EPROTO);
        return;
      }
      {
        uint64_t seq;
        memcpy(&seq, c->buf + (c->frame == FRAME_MAGIC ? 8 : 0), 8);
        event(s, EV_REPLY, slot, (double)seq, t);
      }
      if (c->fd < 0) return;
    }
    if ((size_t)r < sizeof in) return;
  }
}

static void drain(set_t *s);

static void on_poll(uv_poll_t *h, int status, int events) {
  set_t *s = (set_t *)h->data;
  if (s->closed) return;
  drain(s);
  if (!s->closed) flush(s);
}

/* Takes every connection that is ready: connects completed, replies read. */
static void drain(set_t *s) {
  struct epoll_event evs[WAIT_BATCH];
  for (int round = 0; round < MAX_ROUNDS && !s->closed; round++) {
    int n = epoll_wait(s->ep, evs, WAIT_BATCH, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (int i = 0; i < n && !s->closed; i++) {
      int slot = (int)evs[i].data.u32;
      conn_t *c = &s->conns[slot];
      if (c->fd < 0) continue;
      if (c->connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        if (!(evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) continue;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
          closed(s, slot, err);
          continue;
        }
        {
          struct epoll_event e = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)slot};
          c->connecting = 0;
          epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &e);
          event(s, EV_CONNECTED, slot, 0, now_ms());
        }
        continue;
      }
      if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) readable(s, slot);
    }
    if (n < WAIT_BATCH) break;
  }
}

/* ---------- lifecycle ---------- */

static void free_if_done(set_t *s) {
  if (s->finalized && !s->handle_open && s->closed) {
    free(s->conns);
    free(s);
  }
}

static void on_handle_closed(uv_handle_t *h) {
  set_t *s = (set_t *)h->data;
  s->handle_open = 0;
  if (s->ep >= 0) close(s->ep);
  s->ep = -1;
  free_if_done(s);
}

static void do_close(napi_env env, set_t *s) {
  if (s->closed) return;
  s->closed = 1;
  for (int i = 0; i < MAX_SLOTS; i++)
    if (s->conns[i].fd >= 0) drop_conn(s, i);
  if (s->callback) napi_delete_reference(env, s->callback);
  if (s->resource) napi_delete_reference(env, s->resource);
  if (s->events_ref) napi_delete_reference(env, s->events_ref);
  if (s->actx) napi_async_destroy(env, s->actx);
  s->callback = s->resource = s->events_ref = NULL;
  s->actx = NULL;
  s->ev = NULL;
  if (s->handle_open) {
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_handle_closed);
  } else if (s->ep >= 0) {
    close(s->ep);
    s->ep = -1;
  }
}

static void finalize_set(napi_env env, void *data, void *hint) {
  set_t *s = (set_t *)data;
  s->finalized = 1;
  do_close(env, s);
  free_if_done(s);
}

/*
 * echoSetOpen(onEvents(count), events: Float64Array, polled: boolean) → handle. Polled: the set is
 * not watched by the event loop; poll() takes what is ready (a monitor engine calls it each tick,
 * so that replies cost no wake-up of their own).
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 3, len = 0, off = 0;
  bool polled = false;
  napi_value argv[3], ext, res, name, ab;
  napi_typedarray_type type;
  void *data = NULL;
  uv_loop_t *loop;
  set_t *s;
  bool is_ta = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return fail(env, "MP_ERR_BAD_REQUEST", "echoSetOpen(onEvents, events, polled)");
  if (argc > 2) napi_get_value_bool(env, argv[2], &polled);
  napi_is_typedarray(env, argv[1], &is_ta);
  if (!is_ta) return fail(env, "MP_ERR_BAD_REQUEST", "events must be a Float64Array");
  napi_get_typedarray_info(env, argv[1], &type, &len, &data, &ab, &off);
  if (type != napi_float64_array || len < EV_FIELDS) return fail(env, "MP_ERR_BAD_REQUEST", "events must be a Float64Array of at least one event");
  s = calloc(1, sizeof *s);
  if (!s) return fail(env, "MP_ERR_INTERNAL", "out of memory");
  s->conns = malloc(sizeof(conn_t) * MAX_SLOTS);
  if (!s->conns) {
    free(s);
    return fail(env, "MP_ERR_INTERNAL", "out of memory");
  }
  for (int i = 0; i < MAX_SLOTS; i++) s->conns[i].fd = -1;
  s->ep = epoll_create1(EPOLL_CLOEXEC);
  if (s->ep < 0) {
    free(s->conns);
    free(s);
    return fail(env, "MP_ERR_INTERNAL", "epoll_create1 failed");
  }
  s->env = env;
  s->ev = (double *)data;
  s->ev_max = (uint32_t)(len / EV_FIELDS);
  napi_create_reference(env, argv[0], 1, &s->callback);
  napi_create_reference(env, argv[1], 1, &s->events_ref);
  napi_create_object(env, &res);
  napi_create_reference(env, res, 1, &s->resource);
  napi_create_string_utf8(env, "meshprobe:EchoSet", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, res, name, &s->actx);
  s->polled = polled;
  if (!polled) {
    napi_get_uv_event_loop(env, &loop);
    if (uv_poll_init(loop, &s->poll, s->ep) != 0) {
      do_close(env, s);
      s->finalized = 1;
      free_if_done(s);
      return fail(env, "MP_ERR_INTERNAL", "uv_poll_init failed");
    }
    s->poll.data = s;
    s->handle_open = 1;
    uv_poll_start(&s->poll, UV_READABLE, on_poll);
  }
  if (napi_create_external(env, s, finalize_set, NULL, &ext) != napi_ok) {
    do_close(env, s);
    return NULL;
  }
  return ext;
}

/*
 * echoSetConnect(handle, slot, address, port, legacy) — starts a connection (non-blocking); its
 * outcome is an EV_CONNECTED or EV_CLOSED event. Returns 0, or an errno when it failed at once
 * (no event then). A slot's previous connection is closed first, without an event.
 */
static napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], out;
  set_t *s;
  int slot, port = 0, fd, one = 1, err = 0;
  char addr[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  size_t n = 0;
  bool legacy = false;
  struct sockaddr_storage ss;
  socklen_t sl;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) return fail(env, "MP_ERR_BAD_REQUEST", "echoSetConnect(handle, slot, address, port, legacy)");
  s = get_set(env, argv[0]);
  if (!s || s->closed) return fail(env, "MP_ERR_BAD_REQUEST", "not an open echo set");
  slot = get_slot(env, s, argv[1]);
  if (slot < 0) return fail(env, "MP_ERR_BAD_REQUEST", "slot out of range");
  if (napi_get_value_string_utf8(env, argv[2], addr, sizeof addr, &n) != napi_ok || n >= sizeof addr - 1) return fail(env, "MP_ERR_BAD_REQUEST", "address must be a string");
  napi_get_value_int32(env, argv[3], &port);
  napi_get_value_bool(env, argv[4], &legacy);
  if (port < 1 || port > 65535) return fail(env, "MP_ERR_BAD_REQUEST", "port out of range");
  if (!parse_sockaddr(AF_UNSPEC, addr, port, &ss, &sl)) return fail(env, "MP_ERR_BAD_REQUEST", "not an IP address");
  drop_conn(s, slot);
  fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) err = errno;
  else {
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) err = errno;
  }
  if (!err) {
    struct epoll_event e = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)slot};
    if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e) != 0) err = errno;
  }
  if (err) {
    if (fd >= 0) close(fd);
  } else {
    conn_t *c = &s->conns[slot];
    c->fd = fd;
    c->connecting = 1;
    c->frame = legacy ? FRAME_LEGACY : FRAME_MAGIC;
    c->held = 0;
  }
  napi_create_int32(env, err, &out);
  return out;
}

/*
 * echoSetSend(handle, slots: Int32Array, seqs: Float64Array, times: Float64Array, n) — sends one
 * frame on each of the first n slots with its sequence; times[i] is the send time (the events'
 * clock), or NaN when the frame did not leave (no connection, or its send buffer is full; a frame
 * cut short by a full buffer would break the stream, so that connection is closed, with an event).
 */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 5, len[3], off;
  napi_value argv[5], ab, out;
  napi_typedarray_type type[3];
  void *data[3];
  set_t *s;
  uint32_t n = 0, sent = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) return fail(env, "MP_ERR_BAD_REQUEST", "echoSetSend(handle, slots, seqs, times, n)");
  s = get_set(env, argv[0]);
  if (!s || s->closed) return fail(env, "MP_ERR_BAD_REQUEST", "not an open echo set");
  for (int i = 0; i < 3; i++) {
    bool ta = false;
    napi_is_typedarray(env, argv[1 + i], &ta);
    if (!ta) return fail(env, "MP_ERR_BAD_REQUEST", "slots, seqs and times must be typed arrays");
    napi_get_typedarray_info(env, argv[1 + i], &type[i], &len[i], &data[i], &ab, &off);
  }
  if (type[0] != napi_int32_array || type[1] != napi_float64_array || type[2] != napi_float64_array) return fail(env, "MP_ERR_BAD_REQUEST", "slots: Int32Array, seqs and times: Float64Array");
  napi_get_value_uint32(env, argv[4], &n);
  if (n > len[0] || n > len[1] || n > len[2]) return fail(env, "MP_ERR_BAD_REQUEST", "n is longer than the arrays");
  {
    int32_t *slots = data[0];
    double *seqs = data[1], *times = data[2];
    for (uint32_t i = 0; i < n; i++) {
      int slot = slots[i];
      conn_t *c;
      unsigned char f[FRAME_MAGIC];
      uint64_t seq, ns;
      int at = 0;
      ssize_t r;
      times[i] = NAN;
      if (slot < 0 || slot >= MAX_SLOTS) continue;
      c = &s->conns[slot];
      if (c->fd < 0 || c->connecting) continue;
      if (c->frame == FRAME_MAGIC) {
        memcpy(f, MAGIC, 8);
        at = 8;
      }
      seq = (uint64_t)seqs[i];
      ns = unix_ns();
      memcpy(f + at, &seq, 8);
      memcpy(f + at + 8, &ns, 8);
      times[i] = now_ms();
      do r = send(c->fd, f, (size_t)c->frame, MSG_DONTWAIT | MSG_NOSIGNAL);
      while (r < 0 && errno == EINTR);
      if (r == c->frame) {
        sent++;
        continue;
      }
      times[i] = NAN;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      closed(s, slot, r < 0 ? errno : EAGAIN);
    }
  }
  /* Connections closed while sending are reported now. */
  s->in_js = 1;
  flush(s);
  s->in_js = 0;
  napi_create_uint32(env, sent, &out);
  return out;
}

/*
 * echoSetPoll(handle) → count — takes what is ready; returns how many events are in the buffer for
 * the caller to read (earlier ones, when the buffer filled, went to onEvents already).
 */
static napi_value js_poll(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  set_t *s;
  uint32_t n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return fail(env, "MP_ERR_BAD_REQUEST", "echoSetPoll(handle)");
  s = get_set(env, argv[0]);
  if (!s || s->closed) return fail(env, "MP_ERR_BAD_REQUEST", "not an open echo set");
  s->in_js = 1;
  drain(s);
  s->in_js = 0;
  n = s->closed ? 0 : s->ev_n;
  s->ev_n = 0;
  napi_create_uint32(env, n, &out);
  return out;
}

/* echoSetClose(handle, slot) — closes a slot's connection, without an event. */
static napi_value js_close_slot(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  set_t *s;
  int slot;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return fail(env, "MP_ERR_BAD_REQUEST", "echoSetClose(handle, slot)");
  s = get_set(env, argv[0]);
  if (!s) return fail(env, "MP_ERR_BAD_REQUEST", "not an echo set");
  if (s->closed) return NULL;
  slot = get_slot(env, s, argv[1]);
  if (slot < 0) return fail(env, "MP_ERR_BAD_REQUEST", "slot out of range");
  drop_conn(s, slot);
  return NULL;
}

/* echoSetFree(handle) — closes every connection and the set. */
static napi_value js_free(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  set_t *s;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  s = get_set(env, argv[0]);
  if (s) do_close(env, s);
  return NULL;
}

/* echoSetRef(handle, on) — whether the set keeps the process alive. */
static napi_value js_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  set_t *s;
  bool on = true;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return NULL;
  s = get_set(env, argv[0]);
  napi_get_value_bool(env, argv[1], &on);
  if (s && !s->closed && s->handle_open) {
    if (on) uv_ref((uv_handle_t *)&s->poll);
    else uv_unref((uv_handle_t *)&s->poll);
  }
  return NULL;
}

/* echoSetNow() — the clock of the set's times (ms). */
static napi_value js_now(napi_env env, napi_callback_info info) {
  napi_value v;
  napi_create_double(env, now_ms(), &v);
  return v;
}

void echo_set_init(napi_env env, napi_value exports) {
  struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
      {"echoSetOpen", js_open}, {"echoSetConnect", js_connect}, {"echoSetSend", js_send}, {"echoSetClose", js_close_slot},
      {"echoSetFree", js_free}, {"echoSetRef", js_ref},         {"echoSetNow", js_now},     {"echoSetPoll", js_poll},
  };
  napi_value v;
  if (!epoch_ns) epoch_ns = (int64_t)unix_ns();
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &v);
    napi_set_named_property(env, exports, fns[i].name, v);
  }
  napi_create_int32(env, MAX_SLOTS, &v);
  napi_set_named_property(env, exports, "echoSetMaxSlots", v);
  napi_create_int32(env, EV_FIELDS, &v);
  napi_set_named_property(env, exports, "echoSetEventFields", v);
}
