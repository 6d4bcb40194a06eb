module sluice.dev/testenv/pause

go 1.24.0
