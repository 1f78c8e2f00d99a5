"""An asyncio TCP server and its clients on 127.0.0.1, with a chain of
coroutines per request: the shape that tore stacks most (coroutines
suspending and resuming under the sampler's reads)."""
import asyncio
import sys


async def handle(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(await level1(line))
        await writer.drain()
    writer.close()


async def level1(d):
    return await level2(d)


async def level2(d):
    return await level3(d)


async def level3(d):
    s = 0
    for i in range(1500):
        s += i * len(d)
    await asyncio.sleep(0)
    return b"%d\n" % s


async def client(port, n):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    for i in range(n):
        w.write(b"hello %d\n" % i)
        await w.drain()
        await r.readline()
    w.close()


async def main(n):
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    await asyncio.gather(*(client(port, n) for _ in range(4)))
    server.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2500))
