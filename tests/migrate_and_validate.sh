#!/usr/bin/env bash
# Migrates a Rasa 2.x project into a fresh folder under SCRATCH and validates the result:
# migrate_and_validate.sh PARLEY BOTDIR SCRATCH. The folder is removed afterwards.
set -eu
parley="$1"
bot="$2"
mkdir -p "$3"
out="$(mktemp -d "$3/migrated-XXXXXX")"
trap 'rm -rf "$out"' EXIT
# An empty folder is accepted as --out; a subfolder that does not exist yet is created.
"$parley" migrate "$bot" --out "$out/bot"
"$parley" validate "$out/bot"
