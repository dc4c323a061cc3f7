//go:build race

package wrapper

func init() { raceBuild = true }
