#!/bin/sh
echo from the role "$@"
