package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel send the service SIGTERM if the load tool dies without stopping
// it (kill -9): no service is left running on its own.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
