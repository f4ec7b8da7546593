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
 * Events, EV_FIELDS doubles each, in the buffer given to open(): kind, slot, a, b.
 *   EV_CONNECTED: a = 0.  EV_REPLY: a = the sequence, b = its time.  EV_CLOSED: a = errno (0: the
 *   peer closed), b = a scheduled slot's probes in flight, now lost.
 *   Scheduled slots (echoSetSchedule, echo_probe.c): EV_RTT: a = the round trip (ms), b = the
 *   reply's time; EV_LOST: a = LOST_*; EV_GAUGE: a = GAUGE_*, b = its value.
 *   Times: ms since the set's epoch on CLOCK_REALTIME (the clock of send()'s times); a reply's is
 *   the kernel's receive time of the segment (SO_TIMESTAMPNS).
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

#include "echo_probe.h"
#include "echo_set.h"
#include "sockaddr.h"

#define MAX_SLOTS 65536
#define EV_FIELDS 4
#define EV_CONNECTED 1
#define EV_REPLY 2
#define EV_CLOSED 3
#define EV_RTT 4
#define EV_LOST 5
#define EV_GAUGE 6
/* EV_LOST's reasons, and EV_GAUGE's gauges. */
#define LOST_TIMEOUT 1
#define LOST_DOWN 2
#define LOST_FULL 3
#define GAUGE_RTO 1
#define GAUGE_LOSS 2
/* Scheduled slots sit on a timing wheel of WHEEL_TICKS slots of TICK_MS each (10.24 s around). */
#define TICK_MS 10.0
#define WHEEL_TICKS 1024
#define FRAME_MAGIC 24
#define FRAME_LEGACY 16
/* epoll events taken per call, and calls per wake-up (fairness with the rest of the loop). */
#define WAIT_BATCH 256
#define MAX_ROUNDS 64

static const char MAGIC[8] = {'T', 'C', 'P', 'P', 'I', 'N', 'G', 0};

typedef struct {
  uint32_t *e; /* pairs */
  uint32_t n, cap;
} wheel_t;

/* Round trips a scheduled slot holds back before they go to JS (see answered()). */
#define PENDING 16

typedef struct {
  int fd; /* -1: none (valid once `init`) */
  uint8_t init;       /* fd set up: slots are initialised on first use, so unused ones stay untouched pages */
  uint8_t connecting;
  uint8_t frame; /* FRAME_MAGIC | FRAME_LEGACY */
  uint8_t held;  /* bytes of a partial reply in `buf` */
  /* A scheduled slot (echoSetSchedule): its place on the wheel, its probes, the round trips held back. */
  uint8_t in_wheel;
  uint8_t listed; /* on the set's list of slots holding round trips */
  uint8_t fresh;  /* no round trip reported yet (the first goes at once) */
  uint8_t npend;
  uint32_t wheel_gen; /* which of the slot's wheel entries is live (the others are stale) */
  int64_t wake_tick;
  probe_state_t probe;
  unsigned char buf[FRAME_MAGIC];
  double pend[PENDING][2]; /* round trip, reply time */
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
  /* The last tick of the timing wheel visited. */
  int64_t at_tick;
  /* Each wheel slot's entries, appended: (slot, generation) pairs; an entry is live while its
   * generation is the slot's (placing or stopping a slot moves its generation on). Appending writes
   * only the wheel's own memory: a linked list through the connections would touch a cold
   * neighbour's line for every placement. */
  wheel_t wheel[WHEEL_TICKS];
  wheel_t spare;
  int *listed; /* slots holding round trips (MAX_SLOTS, allocated on the first schedule) */
  int nlisted;
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

/* The schedule's clock (ms): monotonic, so that a step of the wall clock does not move probes. */
static double mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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

/* A slot number from JS, its connection set up on first use; -1 when out of range. */
static int get_slot(napi_env env, set_t *s, napi_value v) {
  int32_t slot = -1;
  if (napi_get_value_int32(env, v, &slot) != napi_ok) return -1;
  if (slot < 0 || slot >= MAX_SLOTS) return -1;
  if (!s->conns[slot].init) {
    s->conns[slot].fd = -1;
    s->conns[slot].init = 1;
  }
  return slot;
}

/*
 * The set and slot of a call (handle, slot, …): the slot, or -1 once an error is thrown. A closed
 * set is an error unless `closed_ok` (closing a slot of a closed set does nothing): then -2.
 */
static int set_and_slot(napi_env env, napi_value *argv, int closed_ok, set_t **out) {
  set_t *s = get_set(env, argv[0]);
  int slot;
  if (!s || (s->closed && !closed_ok)) {
    fail(env, "MP_ERR_BAD_REQUEST", closed_ok ? "not an echo set" : "not an open echo set");
    return -1;
  }
  if (s->closed) return -2;
  slot = get_slot(env, s, argv[1]);
  if (slot < 0) fail(env, "MP_ERR_BAD_REQUEST", "slot out of range");
  *out = s;
  return slot;
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
  if (c->probe.on) probe_forget(&c->probe);
  if (c->fd < 0) return;
  epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  c->connecting = 0;
  c->held = 0;
}

static void gauges(set_t *s, int slot, int which);

/* Hands a slot's held-back round trips to JS, and the gauges they moved. */
static void flush_slot(set_t *s, int slot) {
  conn_t *c = &s->conns[slot];
  double pend[PENDING][2];
  int n = c->npend;
  if (n == 0) return;
  /* A copy: JS may be called (a full event buffer) and schedule the slot afresh. */
  memcpy(pend, c->pend, sizeof(double) * 2 * (size_t)n);
  c->npend = 0;
  for (int i = 0; i < n && !s->closed; i++) event(s, EV_RTT, slot, pend[i][0], pend[i][1]);
  if (c->probe.on && !s->closed) gauges(s, slot, GAUGE_RTO | GAUGE_LOSS);
}

/* Reports the gauges of a scheduled slot that changed (`which`: GAUGE_RTO | GAUGE_LOSS bits). */
static void gauges(set_t *s, int slot, int which) {
  probe_state_t *p = &s->conns[slot].probe;
  if (which & GAUGE_RTO) {
    double v = probe_timeout(p);
    if (v != p->rto_shown) {
      p->rto_shown = v;
      event(s, EV_GAUGE, slot, GAUGE_RTO, v);
    }
  }
  if ((which & GAUGE_LOSS) && p->on) {
    double v = probe_loss_pct(p);
    if (v != p->loss_shown) {
      p->loss_shown = v;
      event(s, EV_GAUGE, slot, GAUGE_LOSS, v);
    }
  }
}

/* The connection ended: for a scheduled slot, its probes in flight are lost (their count is the event's last field). */
static void closed(set_t *s, int slot, int err) {
  conn_t *c = &s->conns[slot];
  uint32_t lost = 0;
  flush_slot(s, slot);
  if (c->probe.on) {
    lost = probe_forget(&c->probe);
    for (uint32_t i = 0; i < lost; i++) probe_window(&c->probe, 1);
  }
  drop_conn(s, slot);
  event(s, EV_CLOSED, slot, err, lost);
  if (lost && c->probe.on) gauges(s, slot, GAUGE_LOSS);
}

/*
 * A reply on a scheduled slot: its round trip, when it answers a probe in flight. Round trips are
 * held back in the slot (PENDING at most) and go to JS together, slot by slot, when the set is
 * flushed (the monitor service does before it reads its rows), when the slot has something else to
 * report, or when they fill: JS then folds a monitor's round trips while its state is in the cache,
 * rather than one each time it has gone cold. The first one goes at once (a new monitor shows its
 * first sample without waiting). The gauges they moved go with them.
 */
static void answered(set_t *s, int slot, uint64_t seq, double t) {
  conn_t *c = &s->conns[slot];
  double rtt;
  if (!probe_answer(&c->probe, seq, t, &rtt)) return;
  probe_window(&c->probe, 0);
  if (c->npend == PENDING) flush_slot(s, slot);
  if (!c->probe.on) return;
  c->pend[c->npend][0] = rtt;
  c->pend[c->npend][1] = t;
  c->npend++;
  if (c->fresh) {
    c->fresh = 0;
    flush_slot(s, slot);
  } else if (!c->listed && s->listed) {
    c->listed = 1;
    s->listed[s->nlisted++] = slot;
  }
}

/* Reads what `slot` has, a frame at a time: a scheduled slot matches it to its probe here, any other hands its sequence to JS. */
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
        if (c->probe.on) answered(s, slot, seq, t);
        else event(s, EV_REPLY, slot, (double)seq, t);
      }
      if (c->fd < 0) return;
    }
    /* A short read emptied the receive queue: the next segment raises a new edge. */
    if ((size_t)r < sizeof in) return;
  }
  /* Still data after as many reads as one turn allows: queue the connection again (a MOD re-checks
   * readiness), since an edge-triggered set would not report it otherwise. */
  if (c->fd >= 0) {
    struct epoll_event e = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u32 = (uint32_t)slot};
    epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &e);
  }
}

static void drain(set_t *s);

/* Sends a frame with `seq` on `slot`, its send time into *at: SENT, FULL (the send buffer is full;
 * the connection stays), or GONE (it failed and the connection was closed, with an event). A frame
 * cut short by a full buffer would break the stream, so that closes the connection too. */
enum { SENT, FULL, GONE };
static int send_frame(set_t *s, int slot, uint64_t seq, double *at) {
  conn_t *c = &s->conns[slot];
  unsigned char f[FRAME_MAGIC];
  int o = 0;
  ssize_t r;
  uint64_t ns;
  if (c->frame == FRAME_MAGIC) {
    memcpy(f, MAGIC, 8);
    o = 8;
  }
  ns = unix_ns();
  memcpy(f + o, &seq, 8);
  memcpy(f + o + 8, &ns, 8);
  *at = stamp_ms((int64_t)ns);
  do r = send(c->fd, f, (size_t)c->frame, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r == c->frame) return SENT;
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return FULL;
  closed(s, slot, r < 0 ? errno : EAGAIN);
  return GONE;
}

/* ---------- scheduled slots: the wheel ---------- */

static void wheel_unlink(set_t *s, int slot) {
  conn_t *c = &s->conns[slot];
  if (!c->in_wheel) return;
  c->wheel_gen++;
  c->in_wheel = 0;
}

static void wheel_link(set_t *s, int slot, int64_t tick) {
  conn_t *c = &s->conns[slot];
  wheel_t *w = &s->wheel[tick % WHEEL_TICKS];
  if (w->n + 2 > w->cap) {
    uint32_t cap = w->cap ? w->cap * 2 : 64;
    uint32_t *e = realloc(w->e, sizeof(uint32_t) * cap);
    if (!e) return; /* out of memory: the slot stops probing (it reads as stopped) */
    w->e = e;
    w->cap = cap;
  }
  c->wheel_gen++;
  c->wake_tick = tick;
  c->in_wheel = 1;
  w->e[w->n++] = (uint32_t)slot;
  w->e[w->n++] = c->wheel_gen;
}

/* Puts `slot` on the wheel at the tick of its next event, after tick `after`. */
static void wheel_place(set_t *s, int slot, int64_t after) {
  int64_t tick = (int64_t)floor(probe_wake(&s->conns[slot].probe) / TICK_MS);
  wheel_link(s, slot, tick > after ? tick : after + 1);
}

/*
 * A scheduled slot's turn at `now` (monotonic ms): times out what is past its deadline, then sends
 * the probe if one is due (lost at once when there is no connection or no room). Every event may
 * call JS (a full event buffer), which may stop the slot: each is followed by a look at `on`.
 */
static void turn(set_t *s, int slot, double now) {
  conn_t *c = &s->conns[slot];
  probe_state_t *p = &c->probe;
  while (p->on && p->inflight > 0 && probe_expire_one(p, now)) {
    flush_slot(s, slot);
    probe_window(p, 1);
    event(s, EV_LOST, slot, LOST_TIMEOUT, 0);
    if (p->on) gauges(s, slot, GAUGE_RTO | GAUGE_LOSS);
  }
  if (!p->on || p->next > now) return;
  p->next += p->interval;
  /* After a stall longer than an interval, go on from now rather than send a burst. */
  if (p->next < now) p->next = now + p->interval;
  if (c->fd < 0 || c->connecting) {
    flush_slot(s, slot);
    probe_window(p, 1);
    event(s, EV_LOST, slot, LOST_DOWN, 0);
  } else {
    probe_t *e = probe_take(p, now);
    double at;
    int r = e ? send_frame(s, slot, e->seq, &at) : FULL;
    if (r == SENT) e->sent = at;
    else if (r == FULL) {
      if (e) probe_untake(p, e);
      flush_slot(s, slot);
      probe_window(p, 1);
      event(s, EV_LOST, slot, LOST_FULL, 0);
    }
    /* GONE: closed() counted it among the probes in flight. */
  }
  if (p->on) gauges(s, slot, GAUGE_LOSS);
}

/* Visits the wheel up to now: the slots whose event came due take their turn and sit down again. */
static void run_wheel(set_t *s) {
  double now = mono_ms();
  int64_t to = (int64_t)floor(now / TICK_MS);
  int64_t from = s->at_tick + 1;
  /* After a stall longer than the wheel, every slot once (each holds what is due by now). */
  if (from < to - WHEEL_TICKS + 1) from = to - WHEEL_TICKS + 1;
  /* Slots scheduled from JS during the visit go after it. */
  s->at_tick = to;
  for (int64_t tick = from; tick <= to && !s->closed; tick++) {
    wheel_t *w = &s->wheel[tick % WHEEL_TICKS], visit = *w;
    if (visit.n == 0) continue;
    /* Entries placed while visiting (a later round, JS scheduling a slot) go to an empty vector. */
    *w = s->spare;
    w->n = 0;
    for (uint32_t i = 0; i < visit.n && !s->closed; i += 2) {
      int slot = (int)visit.e[i];
      conn_t *c = &s->conns[slot];
      /* Stale: placed again, or stopped, since. */
      if (!c->in_wheel || c->wheel_gen != visit.e[i + 1]) continue;
      c->in_wheel = 0;
      /* A later round of the wheel (a wake more than its span ahead). */
      if (c->wake_tick > to) {
        wheel_link(s, slot, c->wake_tick);
        continue;
      }
      if (c->probe.on) turn(s, slot, now);
      if (c->probe.on && !c->in_wheel && !s->closed) wheel_place(s, slot, to);
    }
    s->spare = visit;
  }
}

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
          /* Edge-triggered: a level-triggered set re-polls every connection it reported on
           * the next wait, and at a monitor's pace those sockets have gone cold in the cache
           * by then (ep_send_events and sock_poll were ~7 % of the agent's kernel samples at
           * 1,000 monitors). The MOD re-checks readiness, so a reply that came already is not
           * missed. */
          struct epoll_event e = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u32 = (uint32_t)slot};
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
    for (int i = 0; i < MAX_SLOTS; i++) probe_stop(&s->conns[i].probe);
    for (int i = 0; i < WHEEL_TICKS; i++) free(s->wheel[i].e);
    free(s->spare.e);
    free(s->listed);
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
  for (int i = 0; i < MAX_SLOTS; i++) {
    if (!s->conns[i].init) continue;
    if (s->conns[i].fd >= 0) drop_conn(s, i);
    probe_stop(&s->conns[i].probe);
  }
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
  s->conns = calloc(MAX_SLOTS, sizeof(conn_t));
  if (!s->conns) {
    free(s);
    return fail(env, "MP_ERR_INTERNAL", "out of memory");
  }
  s->at_tick = (int64_t)floor(mono_ms() / TICK_MS);
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
  if ((slot = set_and_slot(env, argv, 0, &s)) < 0) return NULL;
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
    struct epoll_event e = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u32 = (uint32_t)slot};
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
      double at;
      times[i] = NAN;
      if (slot < 0 || slot >= MAX_SLOTS) continue;
      c = &s->conns[slot];
      if (!c->init || c->fd < 0 || c->connecting || c->probe.on) continue;
      if (send_frame(s, slot, (uint64_t)seqs[i], &at) == SENT) {
        times[i] = at;
        sent++;
      }
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
 * What echoSetPoll, echoSetTick and echoSetFlush share: `work` on the set, called from JS (a full
 * event buffer goes to onEvents), then the count of the events left in the buffer for the caller
 * to read.
 */
static napi_value take_events(napi_env env, napi_callback_info info, const char *usage, void (*work)(set_t *)) {
  size_t argc = 1;
  napi_value argv[1], out;
  set_t *s;
  uint32_t n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return fail(env, "MP_ERR_BAD_REQUEST", usage);
  s = get_set(env, argv[0]);
  if (!s || s->closed) return fail(env, "MP_ERR_BAD_REQUEST", "not an open echo set");
  s->in_js = 1;
  work(s);
  s->in_js = 0;
  n = s->closed ? 0 : s->ev_n;
  s->ev_n = 0;
  napi_create_uint32(env, n, &out);
  return out;
}

/*
 * echoSetPoll(handle) → count — takes what is ready; returns how many events are in the buffer for
 * the caller to read (earlier ones, when the buffer filled, went to onEvents already).
 */
static napi_value js_poll(napi_env env, napi_callback_info info) { return take_events(env, info, "echoSetPoll(handle)", drain); }

/*
 * echoSetSchedule(handle, slot, intervalMs, firstInMs, timeoutMs, fixed, rtoMinMs, rtoMaxMs, firstSeq)
 * — probes `slot` from C: a frame every interval (the first in firstInMs), whatever its connection
 * (a probe due while it has none is lost at once); replies matched by sequence; a probe past its
 * timeout lost. The timeout is timeoutMs fixed, or adaptive (RFC 6298, starting at timeoutMs,
 * clamped to [rtoMinMs, rtoMaxMs]). Events: EV_RTT (round trip, reply time), EV_LOST (reason),
 * EV_GAUGE (gauge, value: the timeout in use, the loss over the last PROBE_LOSS_WINDOW probes), and
 * EV_CLOSED with the probes in flight it lost. The slot's turns come with echoSetTick.
 */
static napi_value js_schedule(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  double interval = 0, first_in = 0, timeout = 0, rto_min = 0, rto_max = 0, first_seq = 0;
  bool fixed = false;
  set_t *s;
  int slot;
  conn_t *c;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 9) return fail(env, "MP_ERR_BAD_REQUEST", "echoSetSchedule(handle, slot, intervalMs, firstInMs, timeoutMs, fixed, rtoMinMs, rtoMaxMs, firstSeq)");
  if ((slot = set_and_slot(env, argv, 0, &s)) < 0) return NULL;
  napi_get_value_double(env, argv[2], &interval);
  napi_get_value_double(env, argv[3], &first_in);
  napi_get_value_double(env, argv[4], &timeout);
  napi_get_value_bool(env, argv[5], &fixed);
  napi_get_value_double(env, argv[6], &rto_min);
  napi_get_value_double(env, argv[7], &rto_max);
  napi_get_value_double(env, argv[8], &first_seq);
  if (!(interval >= TICK_MS) || !(timeout > 0) || !(first_in >= 0) || !(rto_min > 0) || !(rto_max >= rto_min) || !(first_seq >= 0)) return fail(env, "MP_ERR_BAD_REQUEST", "interval ≥ 10 ms (a turn of the wheel), timeout > 0, 0 < rto min ≤ max");
  if (!s->listed && !(s->listed = malloc(sizeof(int) * MAX_SLOTS))) return fail(env, "MP_ERR_INTERNAL", "out of memory");
  c = &s->conns[slot];
  wheel_unlink(s, slot);
  if (probe_start(&c->probe, interval, mono_ms() + first_in, timeout, fixed, rto_min, rto_max, (uint64_t)first_seq) != 0) return fail(env, "MP_ERR_INTERNAL", "out of memory");
  c->npend = 0;
  c->fresh = 1;
  wheel_place(s, slot, s->at_tick);
  s->in_js = 1;
  gauges(s, slot, GAUGE_RTO);
  s->in_js = 0;
  return NULL;
}

/* echoSetUnschedule(handle, slot) — stops probing `slot` (its probes in flight are forgotten). */
static napi_value js_unschedule(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  set_t *s;
  int slot;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return fail(env, "MP_ERR_BAD_REQUEST", "echoSetUnschedule(handle, slot)");
  if ((slot = set_and_slot(env, argv, 1, &s)) < 0) return NULL;
  wheel_unlink(s, slot);
  probe_stop(&s->conns[slot].probe);
  s->conns[slot].npend = 0;
  return NULL;
}

/* echoSetFlush(handle) → count — hands over the round trips scheduled slots hold back; returns the events left in the buffer, as echoSetPoll. */
static void flush_listed(set_t *s) {
  /* Taken one at a time from the end: a slot listed while this runs (JS is called on a full buffer) is flushed too. */
  while (s->listed && s->nlisted > 0 && !s->closed) {
    int slot = s->listed[--s->nlisted];
    s->conns[slot].listed = 0;
    flush_slot(s, slot);
  }
}

static napi_value js_flush(napi_env env, napi_callback_info info) { return take_events(env, info, "echoSetFlush(handle)", flush_listed); }

/*
 * echoSetTick(handle) → count — a polled set's turn: takes what is ready (replies first, so that
 * one that came before its deadline is not a timeout), then gives the scheduled slots whose event
 * came due their turn. Returns the events left in the buffer, as echoSetPoll.
 */
static void tick(set_t *s) {
  drain(s);
  if (!s->closed) run_wheel(s);
}

static napi_value js_tick(napi_env env, napi_callback_info info) { return take_events(env, info, "echoSetTick(handle)", tick); }

/* echoSetClose(handle, slot) — closes a slot's connection, without an event. */
static napi_value js_close_slot(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  set_t *s;
  int slot;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return fail(env, "MP_ERR_BAD_REQUEST", "echoSetClose(handle, slot)");
  if ((slot = set_and_slot(env, argv, 1, &s)) < 0) return NULL;
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
      {"echoSetSchedule", js_schedule}, {"echoSetUnschedule", js_unschedule}, {"echoSetTick", js_tick}, {"echoSetFlush", js_flush},
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
