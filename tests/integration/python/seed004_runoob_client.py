# -*- coding: utf-8 -*-
"""Seed 004's client.py for the runoob socket server (it upper-cases every recv(1024) and
sends it back), as printed but for host and port, and its `while True:` bounded to 3 rounds
(as printed it never ends). The lab serves that server on the upper port.

Usage: python3 seed004_runoob_client.py HOST PORT
"""
import socket
import sys

# 客户端 发送一个数据，再接收一个数据
# 声明socket类型，同时生成链接对象
client = socket.socket(socket.AF_INET,socket.SOCK_STREAM)
# 建立一个链接，连接到本地的6969端口
client.connect((sys.argv[1], int(sys.argv[2])))
for _ in range(3):  # the seed: while True:
    # addr = client.accept()
    # print('连接地址：', addr)
    msg = '欢迎访问菜鸟教程！'
    # 发送一条信息 python3 只接收btye流
    client.send(msg.encode('utf-8'))
    # 接收一个信息，并指定接收的大小 为1024字节
    data = client.recv(1024)
    # 输出我接收的信息
    print('recv:',data.decode())
# 关闭这个链接
client.close()
