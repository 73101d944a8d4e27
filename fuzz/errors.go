package fuzz

import "fmt"

func errorf(format string, args ...any) error { return fmt.Errorf("fuzz: "+format, args...) }
