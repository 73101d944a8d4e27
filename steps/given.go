package steps

import (
	"context"
	"net/url"
	"strings"
	"time"
)

// Given steps: who calls and how, the request being built, the reference's control API and
// one-shot changes to the next request. Only the control-API steps send anything.

// --- Given: who and how ------------------------------------------------------------------

func (w *world) iAmAccount(name string) error {
	a, err := w.cfg.Fixtures.account(name)
	if err != nil {
		return w.check(err)
	}
	w.account = a
	return nil
}

func (w *world) iSignWith(version string) error {
	w.signature = version
	return nil
}

func (w *world) iAskFor(format string) error {
	w.format = format
	return nil
}

func (w *world) anExportRequest(image, bucket string) error {
	img, err := w.cfg.Fixtures.image(image)
	if err != nil {
		return w.check(err)
	}
	b, err := w.cfg.Fixtures.bucket(bucket)
	if err != nil {
		return w.check(err)
	}
	region := img.Region
	if region == "" {
		region = w.cfg.Region
	}
	w.params = url.Values{"RegionId": {region}, "ImageId": {img.ID}, "OSSBucket": {b.Name}, "OSSPrefix": {"EcsExport"}}
	return nil
}

func (w *world) setParam(name, value string) error {
	v, err := w.cfg.Fixtures.expand(value, w.vars())
	if err != nil {
		return w.check(err)
	}
	if w.params == nil {
		w.params = url.Values{}
	}
	w.params.Set(name, v)
	return nil
}

func (w *world) setParamRepeated(name, value string, n int) error {
	return w.setParam(name, strings.Repeat(value, n))
}

func (w *world) paramAbsent(name string) error {
	w.params.Del(name)
	return nil
}

func (w *world) paramEmpty(name string) error { return w.setParam(name, "") }

// --- Given: reference control -----------------------------------------------------------

func (w *world) quota(ctx context.Context, account, region string, concurrent, weekly int) error {
	if err := w.needControl("setting quotas"); err != nil {
		return err
	}
	a, err := w.cfg.Fixtures.account(account)
	if err != nil {
		return w.check(err)
	}
	r, err := w.cfg.Fixtures.region(region)
	if err != nil {
		return w.check(err)
	}
	if err := w.cfg.Control.SetQuota(ctx, a.Name, r, concurrent, weekly); err != nil {
		return w.fail(err)
	}
	return nil
}

func (w *world) exportFault(ctx context.Context, account string, percent int) error {
	if err := w.needControl("fault injection"); err != nil {
		return err
	}
	a, err := w.cfg.Fixtures.account(account)
	if err != nil {
		return w.check(err)
	}
	return w.fail(w.cfg.Control.Fault(ctx, map[string]any{"kind": "fail-export", "account": a.Name, "atPercent": percent}))
}

func (w *world) throttled(ctx context.Context) error {
	return w.requestFault(ctx, 1, "", "throttle")
}

// requestFault makes the next n requests of account (a logical name; "" for anyone) answer
// an injected fault: "throttle" (ACS-E13), "internal-error" (ACS-E15) or "unavailable"
// (ACS-E16). n of 0 is one request.
func (w *world) requestFault(ctx context.Context, n int, account, kind string) error {
	if err := w.needControl("fault injection"); err != nil {
		return err
	}
	f := map[string]any{"kind": kind, "count": max(n, 1)}
	if account != "" {
		a, err := w.cfg.Fixtures.account(account)
		if err != nil {
			return w.check(err)
		}
		f["account"] = a.Name
	}
	return w.fail(w.cfg.Control.Fault(ctx, f))
}

func (w *world) nextRequestFails(ctx context.Context, kind string) error {
	return w.requestFault(ctx, 1, "", kind)
}

func (w *world) nextRequestsOfFail(ctx context.Context, n int, account, kind string) error {
	return w.requestFault(ctx, n, account, kind)
}

func (w *world) stsCredentials(ctx context.Context, account, ttl string) error {
	if err := w.needControl("STS credentials"); err != nil {
		return err
	}
	a, err := w.cfg.Fixtures.account(account)
	if err != nil {
		return w.check(err)
	}
	d, err := time.ParseDuration(ttl)
	if err != nil {
		return w.failf("ttl %q: %v", ttl, err)
	}
	c, err := w.cfg.Control.STS(ctx, a.Name, d)
	if err != nil {
		return w.fail(err)
	}
	w.account = Account{Name: a.Name, AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken}
	return nil
}

func (w *world) tokenFromAnotherSession(ctx context.Context) error {
	if err := w.needControl("STS credentials"); err != nil {
		return err
	}
	c, err := w.cfg.Control.STS(ctx, w.account.Name, time.Hour)
	if err != nil {
		return w.fail(err)
	}
	w.account.SecurityToken = c.SecurityToken
	return nil
}

func (w *world) securityToken(token string) error {
	w.account.SecurityToken = token
	return nil
}

// --- Given: request tweaks ---------------------------------------------------------------

func (w *world) wrongSecret() error   { w.tweak.wrongSecret = true; return nil }
func (w *world) unknownKey() error    { w.tweak.unknownKey = true; return nil }
func (w *world) noSignature() error   { w.tweak.noSignature = true; return nil }
func (w *world) malformedTime() error { w.tweak.badTime = true; return nil }

func (w *world) timeShift(n int, dir string) error {
	w.tweak.timeShift = time.Duration(n) * time.Minute
	if dir == "past" {
		w.tweak.timeShift = -w.tweak.timeShift
	}
	return nil
}

func (w *world) dropParam(name string) error { w.tweak.dropParam = name; return nil }
func (w *world) apiVersion(v string) error   { w.tweak.version = v; return nil }
func (w *world) httpMethod(m string) error   { w.tweak.method = m; return nil }
