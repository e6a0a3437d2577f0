#!/usr/bin/env python

# -*- coding: UTF-8 -*-

# Seed 001's client for its udpServer, as printed (Python 2; a connected UDP socket), but
# HOST and PORT from argv. Usage: python2 seed001_udp_client.py HOST PORT
import socket
import sys

HOST=sys.argv[1]

PORT=int(sys.argv[2])

BUFFER=4096

sock=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)

sock.connect((HOST,PORT))

sock.send('hello, tcpServer!')

recv=sock.recv(BUFFER)

print('[tcpServer said]: %s' % recv)

sock.close()
