// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A cloud storage bucket mounted read-only into a Sandbox, only its "data/" prefix, with
// credentials from a named Secret. On Modal the bucket is S3's; the emulator mounts a local
// directory in its place (emulator.args: `--bucket my-s3-bucket=DIR`, here the example's
// bucket/ directory), so the Sandbox lists the files of bucket/data/.
//
//   scripts/run-example.sh sandbox-cloud-bucket
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("alpine:3.21");

  //! [mount]
  modal::Secret secret = client.secrets().from_name("libmodal-aws-bucket-secret");
  modal::CloudBucketMount bucket = client.cloud_bucket_mounts().create(
      "my-s3-bucket", {.secret = secret, .read_only = true, .key_prefix = "data/"});
  modal::Sandbox sb =
      client.sandboxes().create(app, image,
                                {.command = {"sh", "-c", "ls -la /mnt/s3-bucket"},
                                 .cloud_bucket_mounts = {{"/mnt/s3-bucket", bucket}}});
  //! [mount]
  std::cout << "S3 Sandbox: " << sb.sandbox_id() << "\n";
  std::string const listing = sb.stdout_stream().read_all();
  std::cout << "Sandbox directory listing of /mnt/s3-bucket:\n" << listing << "\n";
  sb.wait();
  sb.terminate();
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
