/*
 * The baseline for bench/amqp-publish: rabbitmq-c called directly, the way a careful C program
 * publishes with confirms. It sends what the window allows, then reads the confirms that arrived
 * (without waiting per message), and blocks only when the window is full. Messages carry the same
 * properties and headers Accord's publisher stamps (message-id, x-accord-id, x-accord-sent-at-ns,
 * content-type), so both sides put the same bytes on the wire.
 *
 * usage: publish URL QUEUE COUNT BODY_SIZE WINDOW
 * prints: RESULT messages=N acked=N nacked=N seconds=S rate=R
 */
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void die_reply(amqp_rpc_reply_t reply, const char *what) {
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) return;
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION)
        fprintf(stderr, "%s: %s\n", what, amqp_error_string2(reply.library_error));
    else
        fprintf(stderr, "%s: broker error (method 0x%08x)\n", what, reply.reply.id);
    exit(1);
}

static void die_status(int status, const char *what) {
    if (status == AMQP_STATUS_OK) return;
    fprintf(stderr, "%s: %s\n", what, amqp_error_string2(status));
    exit(1);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t wall_nanos(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Handles one frame; returns how many publishes it confirmed (acks and nacks). */
static uint64_t handle_frame(amqp_frame_t *frame, uint64_t *acked, uint64_t *settled_upto, uint64_t *pending) {
    if (frame->frame_type != AMQP_FRAME_METHOD) return 0;
    uint64_t tag;
    int multiple, ack;
    if (frame->payload.method.id == AMQP_BASIC_ACK_METHOD) {
        amqp_basic_ack_t *m = frame->payload.method.decoded;
        tag = m->delivery_tag; multiple = m->multiple; ack = 1;
    } else if (frame->payload.method.id == AMQP_BASIC_NACK_METHOD) {
        amqp_basic_nack_t *m = frame->payload.method.decoded;
        tag = m->delivery_tag; multiple = m->multiple; ack = 0;
    } else {
        fprintf(stderr, "unexpected method 0x%08x\n", frame->payload.method.id);
        exit(1);
    }
    /* RabbitMQ confirms in order on a single-queue route; count by tag like a C client would. */
    uint64_t count = multiple ? tag - *settled_upto : 1;
    if (tag > *settled_upto) *settled_upto = tag;
    if (ack) *acked += count;
    *pending -= count;
    return count;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s URL QUEUE COUNT BODY_SIZE WINDOW\n", argv[0]);
        return 2;
    }
    struct amqp_connection_info info;
    char *url = strdup(argv[1]);
    die_status(amqp_parse_url(url, &info), "parse URL");
    const char *queue = argv[2];
    uint64_t count = strtoull(argv[3], NULL, 10);
    size_t size = strtoul(argv[4], NULL, 10);
    uint64_t window = strtoull(argv[5], NULL, 10);

    amqp_connection_state_t conn = amqp_new_connection();
    amqp_socket_t *socket = amqp_tcp_socket_new(conn);
    die_status(amqp_socket_open(socket, info.host, info.port), "connect");
    die_reply(amqp_login(conn, info.vhost, 0, 131072, 30, AMQP_SASL_METHOD_PLAIN, info.user, info.password), "login");
    amqp_channel_open(conn, 1);
    die_reply(amqp_get_rpc_reply(conn), "channel.open");
    amqp_queue_declare(conn, 1, amqp_cstring_bytes(queue), 0, 0, 0, 0, amqp_empty_table);
    die_reply(amqp_get_rpc_reply(conn), "queue.declare");
    amqp_queue_purge(conn, 1, amqp_cstring_bytes(queue));
    die_reply(amqp_get_rpc_reply(conn), "queue.purge");
    amqp_confirm_select(conn, 1);
    die_reply(amqp_get_rpc_reply(conn), "confirm.select");

    char *body = malloc(size);
    memset(body, 'x', size);
    amqp_bytes_t body_bytes = {size, body};
    char id[64];
    amqp_table_entry_t headers[2];
    headers[0].key = amqp_cstring_bytes("x-accord-id");
    headers[0].value.kind = AMQP_FIELD_KIND_UTF8;
    headers[1].key = amqp_cstring_bytes("x-accord-sent-at-ns");
    headers[1].value.kind = AMQP_FIELD_KIND_I64;
    amqp_basic_properties_t props;
    memset(&props, 0, sizeof props);
    props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_HEADERS_FLAG;
    props.content_type = amqp_cstring_bytes("text/plain");
    props.headers.num_entries = 2;
    props.headers.entries = headers;

    uint64_t sent = 0, acked = 0, settled_upto = 0, pending = 0;
    double start = now_seconds();
    while (sent < count || pending > 0) {
        while (sent < count && pending < window) {
            snprintf(id, sizeof id, "cbench-0-%llu", (unsigned long long)sent);
            props.message_id = amqp_cstring_bytes(id);
            headers[0].value.value.bytes = amqp_cstring_bytes(id);
            headers[1].value.value.i64 = wall_nanos();
            die_status(amqp_basic_publish(conn, 1, amqp_empty_bytes, amqp_cstring_bytes(queue), 0, 0, &props,
                                          body_bytes), "basic.publish");
            sent++;
            pending++;
            /* Read whatever confirms already arrived every 256 messages, as Accord's thread does. */
            if (sent % 256 == 0) break;
        }
        amqp_frame_t frame;
        struct timeval no_wait = {0, 0};
        int window_full = pending >= window || sent == count;
        int status = amqp_simple_wait_frame_noblock(conn, &frame, window_full ? NULL : &no_wait);
        while (status == AMQP_STATUS_OK) {
            handle_frame(&frame, &acked, &settled_upto, &pending);
            status = amqp_simple_wait_frame_noblock(conn, &frame, &no_wait);
        }
        if (status != AMQP_STATUS_TIMEOUT) die_status(status, "read confirms");
        amqp_maybe_release_buffers(conn);
    }
    double seconds = now_seconds() - start;
    printf("RESULT messages=%llu acked=%llu nacked=%llu seconds=%.3f rate=%.0f\n", (unsigned long long)count,
           (unsigned long long)acked, (unsigned long long)(count - acked), seconds, count / seconds);
    amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn);
    free(body);
    free(url);
    return 0;
}
