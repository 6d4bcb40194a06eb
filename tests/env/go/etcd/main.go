// etcd's own main is a single call; building it from this module avoids the replace
// directives that make `go install go.etcd.io/etcd/v3@...` fail.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
