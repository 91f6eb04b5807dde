// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_MODAL_H
#define MODAL_MODAL_H

/// Umbrella header: everything public in modal-cpp.
#include "modal/app.h"
#include "modal/client.h"
#include "modal/cloud_bucket_mount.h"
#include "modal/cls.h"
#include "modal/container_process.h"
#include "modal/errors.h"
#include "modal/function.h"
#include "modal/function_call.h"
#include "modal/image.h"
#include "modal/logs.h"
#include "modal/proxy.h"
#include "modal/queue.h"
#include "modal/sandbox.h"
#include "modal/sandbox_file.h"
#include "modal/sandbox_filesystem.h"
#include "modal/secret.h"
#include "modal/sidecar.h"
#include "modal/streams.h"
#include "modal/value.h"
#include "modal/version.h"
#include "modal/volume.h"

#endif  // MODAL_MODAL_H
