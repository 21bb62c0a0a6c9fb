/* Generated from firmware-protocol/messages.json by firmware-protocol/gen/gen-c.ts. Do not edit;
 * run `node --import tsx firmware-protocol/gen/gen-c.ts` after changing the source. */

#ifndef EQP_MESSAGES_GEN_H
#define EQP_MESSAGES_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EQP_PROTO_MAJOR 1u
#define EQP_PROTO_MINOR 1u
#define EQP_HEADER_SIZE 8u
#define EQP_CRC_SIZE 4u
#define EQP_FRAME_OVERHEAD 12u
#define EQP_MIN_FRAME_LIMIT 256u
#define EQP_MAX_FRAME_LIMIT 65535u
#define EQP_DEFAULT_WATCHDOG_MS 2000u
#define EQP_KNOWN_INCOMPAT_FLAGS 0x00u

/* Largest inner frame this build handles (sizes the array members below). */
#ifndef EQP_MAX_FRAME
#define EQP_MAX_FRAME 1024u
#endif
#if EQP_MAX_FRAME < EQP_MIN_FRAME_LIMIT || EQP_MAX_FRAME > EQP_MAX_FRAME_LIMIT
#error "EQP_MAX_FRAME must be in 256..65535"
#endif
#define EQP_MAX_PAYLOAD (EQP_MAX_FRAME - EQP_FRAME_OVERHEAD)

/* Result codes: EQP_OK, or a NACK code (SPEC section 8). */
enum {
  EQP_OK = 0,
  EQP_ERR_BAD_COBS = 1,
  EQP_ERR_FRAME_TOO_LARGE = 2,
  EQP_ERR_BAD_LENGTH = 3,
  EQP_ERR_BAD_CRC = 4,
  EQP_ERR_UNSUPPORTED_MAJOR = 5,
  EQP_ERR_UNKNOWN_INCOMPATIBLE_FLAG = 6,
  EQP_ERR_UNKNOWN_MESSAGE = 7,
  EQP_ERR_BAD_PAYLOAD = 8,
  EQP_ERR_OUT_OF_RANGE = 9,
  EQP_ERR_UNSUPPORTED = 10,
  EQP_ERR_BUSY = 11,
  EQP_ERR_NOT_READY = 12,
  EQP_ERR_NO_PREVIOUS = 13,
  EQP_ERR_INTERNAL = 14,
  EQP_ERR_LEARN_NOT_CONFIGURED = 15,
  EQP_ERR_OUT_OF_ORDER = 16,
};

/* FAULT codes. */
enum {
  EQP_FAULT_WATCHDOG = 1,
  EQP_FAULT_RESET = 2,
  EQP_FAULT_OVERTEMP = 3,
  EQP_FAULT_SUPPLY = 4,
  EQP_FAULT_DRIVER = 5,
  EQP_FAULT_INTERNAL = 6,
};

/* Message ids. */
enum {
  EQP_MSG_HELLO = 0x01,
  EQP_MSG_DEVICE_INFO = 0x81,
  EQP_MSG_GET_EDGES = 0x02,
  EQP_MSG_EDGES = 0x82,
  EQP_MSG_GET_NODE_LIST = 0x03,
  EQP_MSG_NODE_LIST = 0x83,
  EQP_MSG_SET_PARAMS = 0x10,
  EQP_MSG_UPDATE_PARAMS = 0x11,
  EQP_MSG_GET_PARAMS = 0x12,
  EQP_MSG_PARAMS = 0x90,
  EQP_MSG_CLAMP = 0x20,
  EQP_MSG_SET_TARGETS = 0x21,
  EQP_MSG_SET_FORCE = 0x22,
  EQP_MSG_SET_START = 0x23,
  EQP_MSG_RELAX = 0x24,
  EQP_MSG_RELAX_DONE = 0xa4,
  EQP_MSG_GET_STATE = 0x25,
  EQP_MSG_STATE = 0xa5,
  EQP_MSG_STOP = 0x30,
  EQP_MSG_ACK = 0xfe,
  EQP_MSG_NACK = 0xff,
  EQP_MSG_HEARTBEAT = 0x40,
  EQP_MSG_FAULT = 0x41,
  EQP_MSG_LEARN_CONFIG = 0x50,
  EQP_MSG_LEARN_FREE = 0x51,
  EQP_MSG_LEARN_OUTPUTS = 0xd1,
  EQP_MSG_LEARN_NUDGED = 0x52,
  EQP_MSG_LEARN_COMMIT = 0x53,
  EQP_MSG_LEARN_DISCARD = 0x54,
};

enum { EQP_DIR_HOST_TO_BOARD = 1, EQP_DIR_BOARD_TO_HOST = 2, EQP_DIR_BOTH = 3 };

/* model: The physics of the substrate. */
enum {
  EQP_MODEL_XY = 0,
  EQP_MODEL_OIM = 1,
  EQP_MODEL_RESISTOR = 2,
  EQP_MODEL_ISING = 3,
};
/* reports: What GET_STATE can return: node states only, or node states and per-edge observables. */
enum {
  EQP_REPORTS_STATES = 0,
  EQP_REPORTS_STATES_EDGES = 1,
};
/* nodeList: Which node list GET_NODE_LIST reads. */
enum {
  EQP_NODE_LIST_CLAMPABLE = 0,
  EQP_NODE_LIST_NUDGEABLE = 1,
};
/* phase: Relaxation phase of EqProp. */
enum {
  EQP_PHASE_FREE = 0,
  EQP_PHASE_NUDGED = 1,
};
/* nudge: How the nudged phase pushes the outputs: beta times a cost towards SET_TARGETS values, or the explicit SET_FORCE vector. */
enum {
  EQP_NUDGE_COST = 0,
  EQP_NUDGE_FORCE = 1,
};
/* cost: Cost C(s, t) summed over the nudgeable nodes; d = s - t. log-cos: -log(1 + cos d); one-minus-cos: 1 - cos d; squared: d^2 / 2. */
enum {
  EQP_COST_LOG_COS = 0,
  EQP_COST_ONE_MINUS_COS = 1,
  EQP_COST_SQUARED = 2,
};
/* start: Where each sample starts: random from the seed, the sample's previous equilibrium, the SET_START states, or (since 1.2, capability readoutStart) the states its last free RELAX reported (SPEC 6.5). */
enum {
  EQP_START_RANDOM = 0,
  EQP_START_PREVIOUS = 1,
  EQP_START_GIVEN = 2,
  EQP_START_READOUT = 3,
};
/* stateKind: What GET_STATE reads: node states (state_lsb units) or per-edge observables dE/dW (edge_lsb units). */
enum {
  EQP_STATE_KIND_NODES = 0,
  EQP_STATE_KIND_EDGES = 1,
};
/* boardState: The board's session state (SPEC section 7). */
enum {
  EQP_BOARD_STATE_BOOT = 0,
  EQP_BOARD_STATE_READY = 1,
  EQP_BOARD_STATE_BUSY = 2,
  EQP_BOARD_STATE_SAFE = 3,
  EQP_BOARD_STATE_OFFLINE = 4,
};
/* learnEstimator: How a board turns its two equilibria into an update (on-board learning, SPEC section 13). one-sided: Delta theta = -(eta/beta) times the mean over accumulated samples of dE/dtheta(nudged) - dE/dtheta(free). */
enum {
  EQP_LEARN_ESTIMATOR_ONE_SIDED = 0,
};

/* capability: Optional features of a board. */
#define EQP_CAPABILITY_FORCE_VECTOR 0x01u
#define EQP_CAPABILITY_GIVEN_START 0x02u
#define EQP_CAPABILITY_BIAS 0x04u
#define EQP_CAPABILITY_ON_BOARD_LEARNING 0x08u
#define EQP_CAPABILITY_READOUT_START 0x10u
/* costs: Supported costs: bit k set = cost enum value k is supported. */
#define EQP_COSTS_LOG_COS 0x01u
#define EQP_COSTS_ONE_MINUS_COS 0x02u
#define EQP_COSTS_SQUARED 0x04u

/* A parameter's range: values are clipped to [min, max]; levels = 0 means continuous, otherwise that many evenly spaced values. */
typedef struct {
  float min;
  float max;
  uint32_t levels;
} eqp_range_t;

/* One coupling between nodes a and b. */
typedef struct {
  uint16_t a;
  uint16_t b;
} eqp_edge_t;

/* One clamped node and its value in state_lsb units. */
typedef struct {
  uint16_t node;
  int16_t value;
} eqp_clamp_t;

#define EQP_EDGES_EDGES_MAX ((EQP_MAX_PAYLOAD - 10u) / 4u)
#define EQP_NODE_LIST_NODES_MAX ((EQP_MAX_PAYLOAD - 7u) / 2u)
#define EQP_SET_PARAMS_VALUES_MAX ((EQP_MAX_PAYLOAD - 6u) / 4u)
#define EQP_UPDATE_PARAMS_DELTAS_MAX ((EQP_MAX_PAYLOAD - 6u) / 4u)
#define EQP_PARAMS_VALUES_MAX ((EQP_MAX_PAYLOAD - 10u) / 4u)
#define EQP_CLAMP_CLAMPS_MAX ((EQP_MAX_PAYLOAD - 5u) / 4u)
#define EQP_SET_TARGETS_VALUES_MAX ((EQP_MAX_PAYLOAD - 6u) / 2u)
#define EQP_SET_FORCE_VALUES_MAX ((EQP_MAX_PAYLOAD - 6u) / 4u)
#define EQP_SET_START_VALUES_MAX ((EQP_MAX_PAYLOAD - 6u) / 2u)
#define EQP_STATE_VALUES_MAX ((EQP_MAX_PAYLOAD - 22u) / 2u)
#define EQP_LEARN_FREE_SAMPLES_MAX ((EQP_MAX_PAYLOAD - 16u) / 2u)
#define EQP_LEARN_OUTPUTS_VALUES_MAX ((EQP_MAX_PAYLOAD - 10u) / 2u)

/* HELLO (0x01, command, host-to-board) */
typedef struct {
  uint8_t proto_minor;
  uint16_t max_frame;
  uint32_t watchdog_ms;
  uint8_t window;
} eqp_hello_body_t;

/* DEVICE_INFO (0x81, reply, board-to-host) */
typedef struct {
  uint8_t proto_minor;
  uint8_t model;
  uint8_t reports;
  uint16_t capabilities;
  uint8_t costs;
  uint16_t max_frame;
  uint16_t max_batch;
  uint16_t node_count;
  uint32_t edge_count;
  uint16_t clampable_count;
  uint16_t nudgeable_count;
  eqp_range_t coupling;
  eqp_range_t bias;
  float state_lsb;
  float edge_lsb;
  uint32_t watchdog_ms;
  uint32_t boot_counter;
  char uid[33]; /* NUL-terminated, at most 32 chars */
  char firmware[33]; /* NUL-terminated, at most 32 chars */
  uint8_t window;
} eqp_device_info_body_t;

/* GET_EDGES (0x02, command, host-to-board) */
typedef struct {
  uint32_t offset;
  uint16_t count;
} eqp_get_edges_body_t;

/* EDGES (0x82, reply, board-to-host) */
typedef struct {
  uint32_t offset;
  uint32_t total;
  uint16_t edges_count;
  eqp_edge_t edges[EQP_EDGES_EDGES_MAX];
} eqp_edges_body_t;

/* GET_NODE_LIST (0x03, command, host-to-board) */
typedef struct {
  uint8_t list;
  uint16_t offset;
  uint16_t count;
} eqp_get_node_list_body_t;

/* NODE_LIST (0x83, reply, board-to-host) */
typedef struct {
  uint8_t list;
  uint16_t offset;
  uint16_t total;
  uint16_t nodes_count;
  uint16_t nodes[EQP_NODE_LIST_NODES_MAX];
} eqp_node_list_body_t;

/* SET_PARAMS (0x10, command, host-to-board) */
typedef struct {
  uint32_t offset;
  uint16_t values_count;
  float values[EQP_SET_PARAMS_VALUES_MAX];
} eqp_set_params_body_t;

/* UPDATE_PARAMS (0x11, command, host-to-board) */
typedef struct {
  uint32_t offset;
  uint16_t deltas_count;
  float deltas[EQP_UPDATE_PARAMS_DELTAS_MAX];
} eqp_update_params_body_t;

/* GET_PARAMS (0x12, command, host-to-board) */
typedef struct {
  uint32_t offset;
  uint16_t count;
} eqp_get_params_body_t;

/* PARAMS (0x90, reply, board-to-host) */
typedef struct {
  uint32_t offset;
  uint32_t total;
  uint16_t values_count;
  float values[EQP_PARAMS_VALUES_MAX];
} eqp_params_body_t;

/* CLAMP (0x20, command, host-to-board) */
typedef struct {
  uint16_t sample;
  bool replace;
  uint16_t clamps_count;
  eqp_clamp_t clamps[EQP_CLAMP_CLAMPS_MAX];
} eqp_clamp_body_t;

/* SET_TARGETS (0x21, command, host-to-board) */
typedef struct {
  uint16_t sample;
  uint16_t offset;
  uint16_t values_count;
  int16_t values[EQP_SET_TARGETS_VALUES_MAX];
} eqp_set_targets_body_t;

/* SET_FORCE (0x22, command, host-to-board) */
typedef struct {
  uint16_t sample;
  uint16_t offset;
  uint16_t values_count;
  float values[EQP_SET_FORCE_VALUES_MAX];
} eqp_set_force_body_t;

/* SET_START (0x23, command, host-to-board) */
typedef struct {
  uint16_t sample;
  uint16_t offset;
  uint16_t values_count;
  int16_t values[EQP_SET_START_VALUES_MAX];
} eqp_set_start_body_t;

/* RELAX (0x24, command, host-to-board) */
typedef struct {
  uint16_t batch;
  uint8_t phase;
  uint8_t nudge;
  uint8_t cost;
  uint8_t start;
  float beta;
  uint32_t seed;
  uint32_t budget_us;
  uint32_t max_steps;
} eqp_relax_body_t;

/* RELAX_DONE (0xa4, reply, board-to-host) */
typedef struct {
  uint16_t batch;
  uint16_t settled;
  uint32_t elapsed_us;
} eqp_relax_done_body_t;

/* GET_STATE (0x25, command, host-to-board) */
typedef struct {
  uint16_t sample;
  uint8_t kind;
  uint32_t offset;
  uint16_t count;
} eqp_get_state_body_t;

/* STATE (0xa5, reply, board-to-host) */
typedef struct {
  uint16_t sample;
  uint8_t kind;
  bool settled;
  uint32_t steps;
  float energy;
  uint32_t offset;
  uint32_t total;
  uint16_t values_count;
  int16_t values[EQP_STATE_VALUES_MAX];
} eqp_state_body_t;

/* STOP (0x30, command, host-to-board) */
typedef struct {
  uint8_t reserved_; /* no fields */
} eqp_stop_body_t;

/* ACK (0xfe, reply, board-to-host) */
typedef struct {
  uint8_t ref;
} eqp_ack_body_t;

/* NACK (0xff, reply, board-to-host) */
typedef struct {
  uint8_t ref;
  uint16_t code;
  uint32_t detail;
} eqp_nack_body_t;

/* HEARTBEAT (0x40, event, both) */
typedef struct {
  uint8_t state;
  uint32_t boot_counter;
  uint32_t uptime_ms;
  uint32_t rx_bad;
} eqp_heartbeat_body_t;

/* FAULT (0x41, event, board-to-host) */
typedef struct {
  uint16_t code;
  uint32_t detail;
} eqp_fault_body_t;

/* LEARN_CONFIG (0x50, command, host-to-board) */
typedef struct {
  float eta;
  float bias_eta;
  float beta;
  uint8_t estimator;
  uint8_t cost;
} eqp_learn_config_body_t;

/* LEARN_FREE (0x51, command, host-to-board) */
typedef struct {
  uint16_t batch;
  uint32_t seed;
  uint32_t budget_us;
  uint32_t max_steps;
  uint16_t samples_count;
  int16_t samples[EQP_LEARN_FREE_SAMPLES_MAX];
} eqp_learn_free_body_t;

/* LEARN_OUTPUTS (0xd1, reply, board-to-host) */
typedef struct {
  uint16_t batch;
  uint16_t settled;
  uint32_t elapsed_us;
  uint16_t values_count;
  int16_t values[EQP_LEARN_OUTPUTS_VALUES_MAX];
} eqp_learn_outputs_body_t;

/* LEARN_NUDGED (0x52, command, host-to-board) */
typedef struct {
  uint16_t batch;
  uint32_t budget_us;
  uint32_t max_steps;
} eqp_learn_nudged_body_t;

/* LEARN_COMMIT (0x53, command, host-to-board) */
typedef struct {
  uint8_t reserved_; /* no fields */
} eqp_learn_commit_body_t;

/* LEARN_DISCARD (0x54, command, host-to-board) */
typedef struct {
  uint8_t reserved_; /* no fields */
} eqp_learn_discard_body_t;

/* Any message body. */
typedef union {
  eqp_hello_body_t hello;
  eqp_device_info_body_t device_info;
  eqp_get_edges_body_t get_edges;
  eqp_edges_body_t edges;
  eqp_get_node_list_body_t get_node_list;
  eqp_node_list_body_t node_list;
  eqp_set_params_body_t set_params;
  eqp_update_params_body_t update_params;
  eqp_get_params_body_t get_params;
  eqp_params_body_t params;
  eqp_clamp_body_t clamp;
  eqp_set_targets_body_t set_targets;
  eqp_set_force_body_t set_force;
  eqp_set_start_body_t set_start;
  eqp_relax_body_t relax;
  eqp_relax_done_body_t relax_done;
  eqp_get_state_body_t get_state;
  eqp_state_body_t state;
  eqp_stop_body_t stop;
  eqp_ack_body_t ack;
  eqp_nack_body_t nack;
  eqp_heartbeat_body_t heartbeat;
  eqp_fault_body_t fault;
  eqp_learn_config_body_t learn_config;
  eqp_learn_free_body_t learn_free;
  eqp_learn_outputs_body_t learn_outputs;
  eqp_learn_nudged_body_t learn_nudged;
  eqp_learn_commit_body_t learn_commit;
  eqp_learn_discard_body_t learn_discard;
} eqp_body_t;

/* Per message: encode returns EQP_OK, EQP_ERR_FRAME_TOO_LARGE (cap) or EQP_ERR_BAD_PAYLOAD (a value
 * the wire cannot carry); decode returns EQP_OK or EQP_ERR_BAD_PAYLOAD with *detail (may be NULL)
 * = payload offset of the failing field. Bytes after the last field are ignored (extensions). */
int eqp_encode_hello(const eqp_hello_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_hello(const uint8_t *p, size_t n, eqp_hello_body_t *m, uint32_t *detail);
int eqp_encode_device_info(const eqp_device_info_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_device_info(const uint8_t *p, size_t n, eqp_device_info_body_t *m, uint32_t *detail);
int eqp_encode_get_edges(const eqp_get_edges_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_get_edges(const uint8_t *p, size_t n, eqp_get_edges_body_t *m, uint32_t *detail);
int eqp_encode_edges(const eqp_edges_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_edges(const uint8_t *p, size_t n, eqp_edges_body_t *m, uint32_t *detail);
int eqp_encode_get_node_list(const eqp_get_node_list_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_get_node_list(const uint8_t *p, size_t n, eqp_get_node_list_body_t *m, uint32_t *detail);
int eqp_encode_node_list(const eqp_node_list_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_node_list(const uint8_t *p, size_t n, eqp_node_list_body_t *m, uint32_t *detail);
int eqp_encode_set_params(const eqp_set_params_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_set_params(const uint8_t *p, size_t n, eqp_set_params_body_t *m, uint32_t *detail);
int eqp_encode_update_params(const eqp_update_params_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_update_params(const uint8_t *p, size_t n, eqp_update_params_body_t *m, uint32_t *detail);
int eqp_encode_get_params(const eqp_get_params_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_get_params(const uint8_t *p, size_t n, eqp_get_params_body_t *m, uint32_t *detail);
int eqp_encode_params(const eqp_params_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_params(const uint8_t *p, size_t n, eqp_params_body_t *m, uint32_t *detail);
int eqp_encode_clamp(const eqp_clamp_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_clamp(const uint8_t *p, size_t n, eqp_clamp_body_t *m, uint32_t *detail);
int eqp_encode_set_targets(const eqp_set_targets_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_set_targets(const uint8_t *p, size_t n, eqp_set_targets_body_t *m, uint32_t *detail);
int eqp_encode_set_force(const eqp_set_force_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_set_force(const uint8_t *p, size_t n, eqp_set_force_body_t *m, uint32_t *detail);
int eqp_encode_set_start(const eqp_set_start_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_set_start(const uint8_t *p, size_t n, eqp_set_start_body_t *m, uint32_t *detail);
int eqp_encode_relax(const eqp_relax_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_relax(const uint8_t *p, size_t n, eqp_relax_body_t *m, uint32_t *detail);
int eqp_encode_relax_done(const eqp_relax_done_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_relax_done(const uint8_t *p, size_t n, eqp_relax_done_body_t *m, uint32_t *detail);
int eqp_encode_get_state(const eqp_get_state_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_get_state(const uint8_t *p, size_t n, eqp_get_state_body_t *m, uint32_t *detail);
int eqp_encode_state(const eqp_state_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_state(const uint8_t *p, size_t n, eqp_state_body_t *m, uint32_t *detail);
int eqp_encode_stop(const eqp_stop_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_stop(const uint8_t *p, size_t n, eqp_stop_body_t *m, uint32_t *detail);
int eqp_encode_ack(const eqp_ack_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_ack(const uint8_t *p, size_t n, eqp_ack_body_t *m, uint32_t *detail);
int eqp_encode_nack(const eqp_nack_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_nack(const uint8_t *p, size_t n, eqp_nack_body_t *m, uint32_t *detail);
int eqp_encode_heartbeat(const eqp_heartbeat_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_heartbeat(const uint8_t *p, size_t n, eqp_heartbeat_body_t *m, uint32_t *detail);
int eqp_encode_fault(const eqp_fault_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_fault(const uint8_t *p, size_t n, eqp_fault_body_t *m, uint32_t *detail);
int eqp_encode_learn_config(const eqp_learn_config_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_learn_config(const uint8_t *p, size_t n, eqp_learn_config_body_t *m, uint32_t *detail);
int eqp_encode_learn_free(const eqp_learn_free_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_learn_free(const uint8_t *p, size_t n, eqp_learn_free_body_t *m, uint32_t *detail);
int eqp_encode_learn_outputs(const eqp_learn_outputs_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_learn_outputs(const uint8_t *p, size_t n, eqp_learn_outputs_body_t *m, uint32_t *detail);
int eqp_encode_learn_nudged(const eqp_learn_nudged_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_learn_nudged(const uint8_t *p, size_t n, eqp_learn_nudged_body_t *m, uint32_t *detail);
int eqp_encode_learn_commit(const eqp_learn_commit_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_learn_commit(const uint8_t *p, size_t n, eqp_learn_commit_body_t *m, uint32_t *detail);
int eqp_encode_learn_discard(const eqp_learn_discard_body_t *m, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_learn_discard(const uint8_t *p, size_t n, eqp_learn_discard_body_t *m, uint32_t *detail);

/* By id; EQP_ERR_UNKNOWN_MESSAGE for an id not in the table. */
int eqp_encode_body(uint8_t id, const eqp_body_t *b, uint8_t *out, size_t cap, size_t *len);
int eqp_decode_body(uint8_t id, const uint8_t *p, size_t n, eqp_body_t *b, uint32_t *detail);
/* EQP_DIR_* of a message id, 0 if unknown. */
int eqp_msg_dir(uint8_t id);
/* Table name of a message id / NACK code, NULL if unknown. */
const char *eqp_msg_name(uint8_t id);
const char *eqp_error_name(unsigned code);

#endif
