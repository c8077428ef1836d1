"""A TCP relay process: ``python -m tests.faults.relay LISTEN UPSTREAM`` (ports on 127.0.0.1).

Its own process, so neither the test's busy event loop nor its GIL delays what it relays.
Signals switch it: SIGUSR1 swallow (accept and read, never answer: dropped packets), SIGUSR2
refuse (reset open and new connections; the port stays bound, so on a shared machine no other
process can take it and answer in the server's place), SIGHUP forward. Each switch is acknowledged
with one line on stdout, once in force.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys


class RelayServer:
    def __init__(self, listen: int, upstream: int) -> None:
        self.listen, self.upstream = listen, upstream
        self.mode = "forward"
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._switches: set[asyncio.Future[None]] = set()

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        for sig, mode in ((signal.SIGUSR1, "swallow"), (signal.SIGUSR2, "refuse"),
                          (signal.SIGHUP, "forward")):  # fmt: skip
            loop.add_signal_handler(sig, self._on_signal, mode)
        await self._listen()
        self._ack("forward")
        await asyncio.Event().wait()

    def _on_signal(self, mode: str) -> None:
        self._switches.add(asyncio.ensure_future(self.switch(mode)))

    async def switch(self, mode: str) -> None:
        self.mode = mode
        if mode == "refuse":
            for writer in list(self._writers):
                writer.transport.abort()
            self._writers.clear()
        self._ack(mode)

    def _ack(self, mode: str) -> None:
        sys.stdout.write(f"{mode}\n")
        sys.stdout.flush()

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._accept, "127.0.0.1", self.listen, reuse_address=True
            )

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "refuse":
            writer.transport.abort()
            return
        self._writers.add(writer)
        try:
            if self.mode == "swallow":
                while await reader.read(65536):
                    pass
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
            self._writers.add(up_writer)
            await asyncio.wait(
                [
                    asyncio.ensure_future(self._pump(reader, up_writer)),
                    asyncio.ensure_future(self._pump(up_reader, writer)),
                ],
                return_when=asyncio.FIRST_COMPLETED,
            )
            up_writer.transport.abort()
        except OSError:
            pass
        finally:
            writer.transport.abort()

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await source.read(65536):
                if self.mode == "forward":  # swallowed: read and dropped, never answered
                    sink.write(data)
                    await sink.drain()


if __name__ == "__main__":
    asyncio.run(RelayServer(int(sys.argv[1]), int(sys.argv[2])).serve())
