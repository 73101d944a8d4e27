package reference

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// ServeOSS serves the OSS endpoint (OSSHTTPServer) on l until ctx is done, then shuts it down:
// downloads still running after 10 s are cut. It returns the listener's error if serving
// stopped before ctx was done, else nil.
func (s *Server) ServeOSS(ctx context.Context, l net.Listener) error {
	hs := s.OSSHTTPServer(l.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		_ = hs.Close() // the grace period is over
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
