#!/usr/bin/env python3
# Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
"""Writes a tiny container image made of Debian's static busybox, for the emulator's
--image mapping in tests: nothing is downloaded.

    make_busybox_image.py OUT {docker-save|oci} [BUSYBOX]

docker-save: OUT is a tar archive as `docker save` writes it (manifest.json, a config
blob, one layer.tar). oci: OUT is a directory in OCI image layout (oci-layout,
index.json, blobs/sha256/...), the layer gzip-compressed.

The root file system: /bin/busybox with a symbolic link per applet in /bin, /etc/passwd,
/etc/group and /etc/os-release (ID=busybox-test), /home/app (the WorkingDir), /root and
/tmp. Config: Env PATH=/bin and GREETING=from-the-image, WorkingDir /home/app, Cmd sh.
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile


def layer_tar(busybox):
    applets = subprocess.run([busybox, "--list"], check=True, capture_output=True,
                             text=True).stdout.split()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def add_dir(name, mode=0o755):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            info.mode = mode
            tar.addfile(info)

        def add_file(name, data, mode=0o644):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            tar.addfile(info, io.BytesIO(data))

        for d in ("bin", "etc", "home", "home/app", "root"):
            add_dir(d, 0o700 if d == "root" else 0o755)
        add_dir("tmp", 0o1777)
        with open(busybox, "rb") as f:
            add_file("bin/busybox", f.read(), 0o755)
        for applet in sorted(set(applets)):
            if applet == "busybox" or "/" in applet:
                continue
            info = tarfile.TarInfo("bin/" + applet)
            info.type = tarfile.SYMTYPE
            info.linkname = "busybox"
            tar.addfile(info)
        add_file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
        add_file("etc/group", b"root:x:0:\n")
        add_file("etc/os-release", b"ID=busybox-test\nNAME=\"busybox test image\"\n")
    return buf.getvalue()


def config_json(diff_id):
    return json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Env": ["PATH=/bin", "GREETING=from-the-image"],
            "WorkingDir": "/home/app",
            "Cmd": ["sh"],
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]},
    }, sort_keys=True).encode()


def sha(data):
    return hashlib.sha256(data).hexdigest()


def docker_save(out, layer):
    config = config_json(sha(layer))
    config_name = sha(config) + ".json"
    manifest = json.dumps([{"Config": config_name, "RepoTags": ["busybox:test"],
                            "Layers": [sha(layer) + "/layer.tar"]}]).encode()
    with tarfile.open(out, mode="w") as tar:
        for name, data in ((config_name, config), (sha(layer) + "/layer.tar", layer),
                           ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def oci_layout(out, layer):
    blobs = os.path.join(out, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)

    def blob(data):
        with open(os.path.join(blobs, sha(data)), "wb") as f:
            f.write(data)
        return {"digest": "sha256:" + sha(data), "size": len(data)}

    packed = gzip.compress(layer, mtime=0)
    config = dict(blob(config_json(sha(layer))),
                  mediaType="application/vnd.oci.image.config.v1+json")
    layer_desc = dict(blob(packed), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": config, "layers": [layer_desc]}).encode()
    manifest_desc = dict(blob(manifest), mediaType="application/vnd.oci.image.manifest.v1+json",
                         platform={"architecture": "amd64", "os": "linux"})
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [manifest_desc]}, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[2] not in ("docker-save", "oci"):
        sys.exit(__doc__)
    busybox = sys.argv[3] if len(sys.argv) == 4 else "/bin/busybox"
    layer = layer_tar(busybox)
    (docker_save if sys.argv[2] == "docker-save" else oci_layout)(sys.argv[1], layer)


if __name__ == "__main__":
    main()
