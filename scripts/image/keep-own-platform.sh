#!/bin/sh
# @temporalio/core-bridge ships its native library for five platforms, 25-30 MB each: a production install keeps the
# one that this machine loads (the SDK's own choice) and drops the others. Runs in the folder that holds node_modules:
# the image's runtime stage (Dockerfile) and its copy in `npm run bench:image`.
set -eu
keep=$(node -p "require('@temporalio/core-bridge/common').getPrebuiltTargetName()")
find node_modules/@temporalio/core-bridge/releases -mindepth 1 -maxdepth 1 ! -name "$keep" -exec rm -rf {} +
