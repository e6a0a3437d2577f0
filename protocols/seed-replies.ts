/**
 * The seeds' fixed replies and message sizes on the TCP and UDP seed ports, byte for byte,
 * shared by the services that send them and the clients that check them.
 */

/** Seed 001's reply (tcpServer and udpServer alike), 35 bytes, no newline. */
export const ACK_REPLY = Buffer.from('tcpServer has received your message')
/** Seed 001's BUFFER, the most one recv() returns on the TCP ack port. */
export const ACK_RECV_BYTES = 4096

/** Sent once on connect by the TCP hello port (seed 002). */
export const HELLO_WELCOME = Buffer.from('Welcome!')
/** Seed 002's recv(1024): the most one hello message holds. */
export const HELLO_RECV_BYTES = 1024

/** Seed 001's udpServer reply (it says tcpServer), byte for byte. */
export const UDP_ACK_REPLY = ACK_REPLY
/** IPv4 and UDP headers, counted on both sides of the UDP reply-size rule. */
export const UDP_HEADER_BYTES = 28
/** The smallest request UDP ack answers: reply + 28 <= 2 × (request + 28). */
export const UDP_ACK_MIN_REQUEST_BYTES = Math.ceil(
  (UDP_ACK_REPLY.length + UDP_HEADER_BYTES) / 2 - UDP_HEADER_BYTES,
)
