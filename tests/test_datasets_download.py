"""Downloads against a local HTTP server on 127.0.0.1: checksums, dropped connections, retries, mirrors,
cache hits, atomic writes, progress, and `keras.utils.get_file`."""

import dataclasses
import hashlib
import http.server
import io
import os
import pathlib
import socket
import threading
import time
import urllib.error
import zipfile

import numpy as np
import pytest
from test_datasets_formats import mnist_npz, sandbox, tar_gz_bytes  # noqa: F401 - sandbox is autouse

from jeras import keras
from jeras.datasets import CorruptFileError, DatasetNotFoundError, DownloadError, fashion_mnist, mnist
from jeras.datasets import download as download_module
from jeras.datasets.cache import RemoteFile, ensure_files

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB


class Server:
    """Serves `routes[path] = bytes` with scripted misbehaviour, counting requests per path."""

    def __init__(self):
        self.routes: dict[str, bytes] = {}
        self.script: dict[str, list[str]] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                plan = server.script.get(self.path) or ["ok"]
                action = plan.pop(0) if len(plan) > 1 else plan[0]
                body = server.routes.get(self.path)
                if body is None or action == "404":
                    self.send_error(404)
                    return
                if action == "503":
                    self.send_error(503)
                    return
                if action == "garbled":
                    body = body[::-1]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if action in ("drop", "stall"):
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    if action == "stall":
                        time.sleep(0.5)
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()
        self.closed = False

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self):
        if not self.closed:
            self.closed = True
            self.httpd.shutdown()
            self.httpd.server_close()


@pytest.fixture
def server(monkeypatch):
    monkeypatch.delenv("JERAS_OFFLINE")
    sleeps = []
    monkeypatch.setattr(download_module, "_sleep", sleeps.append)
    srv = Server()
    srv.sleeps = sleeps
    yield srv
    srv.close()


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def spec_for(server, path, data, name="blob.bin", **changes):
    server.routes[path] = data
    spec = RemoteFile(name, (server.url(path),), hashlib.sha256(data).hexdigest(), len(data))
    return dataclasses.replace(spec, **changes)


# --- 2: download, verify, cache ----------------------------------------------------------------


def test_a_loader_downloads_verifies_and_then_uses_the_cache_offline(server, monkeypatch, tmp_path, rng):
    data = mnist_npz(rng)
    monkeypatch.setattr(mnist, "ARCHIVE", spec_for(server, "/mnist.npz", data, "mnist.npz"))
    (x_train, _), _ = mnist.load_data(data_dir=tmp_path)
    assert (tmp_path / "mnist" / "mnist.npz").read_bytes() == data and server.hits["/mnist.npz"] == 1
    assert leftovers(tmp_path / "mnist") == ["mnist.npz"]
    monkeypatch.setenv("JERAS_OFFLINE", "1")
    (again, _), _ = mnist.load_data(data_dir=tmp_path)
    np.testing.assert_array_equal(x_train, again)
    assert server.hits["/mnist.npz"] == 1


def test_a_checksum_mismatch_saves_nothing(server, tmp_path):
    spec = spec_for(server, "/f", PAYLOAD)
    server.script["/f"] = ["garbled"]
    target = tmp_path / "cache" / "blob.bin"
    with pytest.raises(CorruptFileError, match=r"does not match its published sha256 checksum: expected [0-9a-f]{64}"):
        download_module.download(spec.origins[0], target, file_hash=spec.file_hash, progress=False)
    assert leftovers(target.parent) == []
    assert server.hits["/f"] == 1


def test_a_loader_whose_download_is_garbled_reports_it_and_keeps_no_file(server, monkeypatch, tmp_path, rng):
    monkeypatch.setattr(mnist, "ARCHIVE", spec_for(server, "/mnist.npz", mnist_npz(rng), "mnist.npz"))
    server.script["/mnist.npz"] = ["garbled"]
    with pytest.raises(DatasetNotFoundError, match=r"Reason: The file downloaded from .* does not match"):
        mnist.load_data(data_dir=tmp_path)
    assert leftovers(tmp_path / "mnist") == []


def test_a_connection_dropped_mid_file_leaves_no_partial_file(server, tmp_path):
    spec = spec_for(server, "/f", PAYLOAD)
    server.script["/f"] = ["drop"]
    target = tmp_path / "cache" / "blob.bin"
    with pytest.raises(DownloadError, match=r"failed 4 times; last failure: .*closed after 524288 of 1048576 bytes"):
        download_module.download(spec.origins[0], target, file_hash=spec.file_hash, progress=False)
    assert leftovers(target.parent) == []
    assert server.hits["/f"] == 4 and server.sleeps == [1.0, 2.0, 4.0]


def test_transient_failures_are_retried_until_the_file_arrives(server, tmp_path):
    spec = spec_for(server, "/f", PAYLOAD)
    server.script["/f"] = ["503", "drop", "ok"]
    target = tmp_path / "blob.bin"
    download_module.download(spec.origins[0], target, file_hash=spec.file_hash, backoff=0.5, progress=False)
    assert target.read_bytes() == PAYLOAD
    assert server.hits["/f"] == 3 and server.sleeps == [0.5, 1.0]
    assert leftovers(tmp_path) == ["blob.bin"]


def test_a_connection_that_goes_silent_mid_file_times_out_and_is_retried(server, tmp_path):
    spec = spec_for(server, "/f", PAYLOAD)
    server.script["/f"] = ["stall", "ok"]
    target = tmp_path / "blob.bin"
    download_module.download(spec.origins[0], target, file_hash=spec.file_hash, timeout=0.1, progress=False)
    assert target.read_bytes() == PAYLOAD and server.hits["/f"] == 2 and server.sleeps == [1.0]


def test_a_timeout_while_connecting_is_not_retried(server, monkeypatch, tmp_path):
    calls = []

    def unreachable(request, timeout):
        calls.append(request.full_url)
        raise urllib.error.URLError(TimeoutError("timed out"))

    monkeypatch.setattr(download_module.urllib.request, "urlopen", unreachable)
    with pytest.raises(DownloadError, match=r"Downloading http://10\.255\.255\.1/x failed: timed out"):
        download_module.download("http://10.255.255.1/x", tmp_path / "x", progress=False)
    assert len(calls) == 1 and server.sleeps == [] and leftovers(tmp_path) == []


def test_a_missing_file_is_not_retried_and_the_next_mirror_is_tried(server, tmp_path):
    good = spec_for(server, "/mirror/blob.bin", PAYLOAD)
    spec = dataclasses.replace(good, origins=(server.url("/gone/blob.bin"), good.origins[0]))
    (path,) = ensure_files("things", [spec], data_dir=tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert server.hits == {"/gone/blob.bin": 1, "/mirror/blob.bin": 1} and server.sleeps == []


def test_when_every_origin_fails_the_error_says_why_and_where_the_files_go(server, tmp_path):
    spec = spec_for(server, "/f", PAYLOAD, name="data.bin")
    server.script["/f"] = ["404"]
    with pytest.raises(DatasetNotFoundError) as info:
        ensure_files("things", [spec], data_dir=tmp_path, progress=False)
    message = str(info.value)
    assert "HTTP 404" in message and f"in {tmp_path / 'things'}/" in message and "  data.bin  (missing" in message


def test_no_network_at_all_falls_back_to_the_fashion_sample(server, monkeypatch, tmp_path):
    port = server.httpd.server_address[1]
    server.close()
    dead = tuple(dataclasses.replace(s, origins=(f"http://127.0.0.1:{port}/{s.name}",)) for s in fashion_mnist.FILES)
    monkeypatch.setattr(fashion_mnist, "FILES", dead)
    with pytest.warns(UserWarning, match=r"could not be downloaded \(Downloading http://127\.0\.0\.1.*refused"):
        (x_train, _), _ = fashion_mnist.load_data(data_dir=tmp_path)
    assert x_train.shape == (2000, 28, 28) and server.sleeps == []


def test_an_interrupted_download_leaves_nothing_behind(server, monkeypatch, tmp_path):
    spec = spec_for(server, "/f", PAYLOAD)
    monkeypatch.setattr(download_module, "_CHUNK", 4096)

    class Interrupt(BaseException):
        pass

    def crashing_hasher(algorithm):
        real = hashlib.sha256()
        calls = []

        class Hasher:
            def update(self, chunk):
                calls.append(1)
                if len(calls) == 10:
                    raise Interrupt
                real.update(chunk)

            def hexdigest(self):
                return real.hexdigest()

        return Hasher()

    monkeypatch.setattr(download_module, "new_hasher", crashing_hasher)
    with pytest.raises(Interrupt):
        download_module.download(spec.origins[0], tmp_path / "blob.bin", file_hash=spec.file_hash, progress=False)
    assert leftovers(tmp_path) == []


def test_the_progress_bar_names_the_file_and_its_size(server, tmp_path, capsys):
    spec = spec_for(server, "/f", PAYLOAD)
    download_module.download(spec.origins[0], tmp_path / "blob.bin", file_hash=spec.file_hash)
    err = capsys.readouterr().err
    assert f"Downloading data from {spec.origins[0]}" in err
    assert "blob.bin" in err and "1.0/1.0 MB" in err


# --- keras.utils.get_file ----------------------------------------------------------------------


def test_get_file_downloads_into_the_cache_dir_and_then_hits_the_cache(server, tmp_path):
    server.routes["/files/data.csv"] = b"a,b\n1,2\n"
    sha = hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    path = keras.utils.get_file(origin=server.url("/files/data.csv"), file_hash=sha, cache_dir=tmp_path, progress=False)
    assert path == str(tmp_path / "datasets" / "data.csv")
    again = keras.utils.get_file("data.csv", server.url("/files/data.csv"), file_hash=sha, cache_dir=tmp_path)
    assert again == path and server.hits["/files/data.csv"] == 1


def test_get_file_default_location_is_the_data_dir(server, monkeypatch, tmp_path):
    monkeypatch.setenv("JERAS_DATA_DIR", str(tmp_path / "dd"))
    server.routes["/x.txt"] = b"x"
    assert keras.utils.get_file("x.txt", server.url("/x.txt"), progress=False) == str(tmp_path / "dd" / "x.txt")


@pytest.mark.parametrize("algorithm", ["md5", "sha256"])
def test_get_file_hash_algorithm_follows_the_digest_length(server, tmp_path, algorithm):
    server.routes["/p"] = PAYLOAD
    digest = hashlib.new(algorithm, PAYLOAD).hexdigest()
    path = keras.utils.get_file("p.bin", server.url("/p"), file_hash=digest, cache_dir=tmp_path, progress=False)
    assert pathlib.Path(path).read_bytes() == PAYLOAD
    wrong = hashlib.new(algorithm, b"other").hexdigest()
    with pytest.raises(ValueError, match=f"does not match its published {algorithm} checksum"):
        keras.utils.get_file("q.bin", server.url("/p"), file_hash=wrong, cache_dir=tmp_path, progress=False)
    assert not (tmp_path / "datasets" / "q.bin").exists()


def test_get_file_downloads_again_when_the_cached_copy_is_corrupt(server, tmp_path):
    server.routes["/p"] = PAYLOAD
    target = tmp_path / "datasets" / "p.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"stale")
    md5 = hashlib.md5(PAYLOAD).hexdigest()
    with pytest.warns(UserWarning, match="does not match the expected md5 checksum"):
        keras.utils.get_file("p.bin", server.url("/p"), md5_hash=md5, cache_dir=tmp_path, progress=False)
    assert target.read_bytes() == PAYLOAD and server.hits["/p"] == 1
    keras.utils.get_file("p.bin", server.url("/p"), cache_dir=tmp_path, force_download=True, progress=False)
    assert server.hits["/p"] == 2


def test_get_file_extracts_tar_and_zip_archives(server, tmp_path):
    server.routes["/a.tar.gz"] = tar_gz_bytes({"pkg/one.txt": b"1", "pkg/sub/two.txt": b"2"})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("zipped/three.txt", "3")
    server.routes["/b.zip"] = buffer.getvalue()
    path = keras.utils.get_file("a.tar.gz", server.url("/a.tar.gz"), extract=True, cache_dir=tmp_path, progress=False)
    assert path == str(tmp_path / "datasets" / "a.tar.gz")
    assert (tmp_path / "datasets" / "pkg" / "sub" / "two.txt").read_text() == "2"
    keras.utils.get_file("b.zip", server.url("/b.zip"), extract=True, cache_dir=tmp_path, progress=False)
    assert (tmp_path / "datasets" / "zipped" / "three.txt").read_text() == "3"
    untarred = keras.utils.get_file("a", server.url("/a.tar.gz"), untar=True, cache_subdir="u", cache_dir=tmp_path)
    assert untarred == str(tmp_path / "u" / "a") and (tmp_path / "u" / "pkg" / "one.txt").exists()
    assert not any(name.startswith(".") for name in os.listdir(tmp_path / "datasets"))


def test_extraction_refuses_members_outside_the_folder(tmp_path):
    from jeras.datasets import extract_archive

    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(tar_gz_bytes({"ok.txt": b"fine", "../escape.txt": b"bad"}))
    with pytest.raises(ValueError, match=r"'\.\./escape\.txt', which would be written outside"):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists() and os.listdir(tmp_path / "out") == []


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, ValueError, r"origin is required.*Received: origin=None"),
        (
            {"origin": "not a url"},
            ValueError,
            r"origin must be an http\(s\), ftp or file URL. Received: origin='not a url'",
        ),
        ({"origin": "https://h/x", "file_hash": "abc"}, ValueError, r"file_hash must be a 32-character hex md5 digest"),
        (
            {"origin": "https://h/x", "file_hash": "0" * 64, "hash_algorithm": "sha1"},
            ValueError,
            r"hash_algorithm must",
        ),
        ({"origin": "https://h/"}, ValueError, r"fname is needed"),
        ({"origin": "https://h/x.zip", "extract": True, "archive_format": "rar"}, ValueError, r"archive_format must"),
    ],
)
def test_get_file_bad_arguments(tmp_path, kwargs, error, message):
    if kwargs.get("extract"):
        (tmp_path / "datasets").mkdir()
        (tmp_path / "datasets" / "x.zip").write_bytes(b"zip?")
    with pytest.raises(error, match=message):
        keras.utils.get_file(cache_dir=tmp_path, **kwargs)


def test_get_file_offline_with_nothing_cached_raises_a_download_error(tmp_path):
    with pytest.raises(DownloadError, match="JERAS_OFFLINE forbids downloading https://example.org/x.bin"):
        keras.utils.get_file("x.bin", "https://example.org/x.bin", cache_dir=tmp_path)


@pytest.mark.parametrize("when", ["before its headers", "after its headers"])
def test_a_silent_server_fails_within_the_configured_timeout(monkeypatch, tmp_path, when):
    monkeypatch.setenv("JERAS_DOWNLOAD_TIMEOUT", "0.5")
    listener = socket.create_server(("127.0.0.1", 0))
    connections = []

    def accept_and_say_nothing():
        connection, _ = listener.accept()
        connections.append(connection)
        if when == "after its headers":
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")

    thread = threading.Thread(target=accept_and_say_nothing, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/silent.bin"
    start = time.monotonic()
    try:
        with pytest.raises(
            DownloadError, match=r"silent\.bin failed: the server sent nothing for 0\.5 s.*JERAS_DOWNLOAD"
        ):
            download_module.download(url, tmp_path / "silent.bin", progress=False)
    finally:
        thread.join(5)
        for connection in connections:
            connection.close()
        listener.close()
    assert time.monotonic() - start < 3  # one attempt: a silent server is not asked again
    assert leftovers(tmp_path) == []


def test_the_download_timeout_setting_is_checked(monkeypatch, tmp_path):
    monkeypatch.setenv("JERAS_DOWNLOAD_TIMEOUT", "soon")
    with pytest.raises(ValueError, match=r"JERAS_DOWNLOAD_TIMEOUT must be a number of seconds\. Received: .*'soon'"):
        download_module.download("http://127.0.0.1:9/x", tmp_path / "x", progress=False)
    with pytest.raises(ValueError, match=r"timeout must be a positive number of seconds\. Received: timeout=0"):
        download_module.download("http://127.0.0.1:9/x", tmp_path / "x", timeout=0, progress=False)
