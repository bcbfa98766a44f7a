#!/bin/sh
# The failing-heredoc fixture's "app": never reached, since the install above it fails.
echo "report: $(jq --version)"
