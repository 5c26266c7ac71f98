package server

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"parley/protocol"
)

// Link previews: GET /api/v1/previews?url=… fetches the page and answers
// its Open Graph title, description and image (else <title> and the
// description meta tag). The fetch is bounded in time, redirects and
// bytes, and refuses private, loopback, link-local and other non-public
// addresses (unless PreviewAllow lists them): checked on the address
// actually dialed, after DNS resolution, for the first request and every
// redirect, so neither a DNS name nor a redirect reaches an inside
// address. Answers are cached.

// maxPreviewRedirects bounds the redirects of one preview.
const maxPreviewRedirects = 5

// maxPreviewCache bounds the cached previews; past it the cache starts
// over.
const maxPreviewCache = 10_000

type previewer struct {
	cfg    MediaConfig
	log    *slog.Logger
	client *http.Client

	mu    sync.Mutex
	cache map[string]cachedPreview
}

type cachedPreview struct {
	resp    protocol.PreviewResp
	expires time.Time
}

func newPreviewer(cfg MediaConfig, log *slog.Logger) *previewer {
	p := &previewer{cfg: cfg, log: log, cache: make(map[string]cachedPreview)}
	dialer := &net.Dialer{Timeout: cfg.PreviewTimeout, Control: p.checkDial}
	p.client = &http.Client{
		Transport: &http.Transport{
			// Never a proxy from the environment: the address check must
			// see the real destination.
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   cfg.PreviewTimeout,
			ResponseHeaderTimeout: cfg.PreviewTimeout,
			MaxIdleConns:          16,
			IdleConnTimeout:       30 * time.Second,
		},
		Timeout: cfg.PreviewTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxPreviewRedirects {
				return protocol.Errorf(protocol.CodeInvalidArgument, "the page redirects more than %d times", maxPreviewRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return protocol.Errorf(protocol.CodeInvalidArgument, "the page redirects to a %s: URL", req.URL.Scheme)
			}
			return nil
		},
	}
	return p
}

// errNotPublic refuses a dial to a non-public address.
var errNotPublic = errors.New("preview: the address is not public")

// checkDial is the dialer's Control hook: it sees the resolved address of
// every connection the fetch makes.
func (p *previewer) checkDial(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", errNotPublic, address)
	}
	ip := ap.Addr().Unmap()
	for _, allowed := range p.cfg.PreviewAllow {
		if allowed.Contains(ip) {
			return nil
		}
	}
	if !publicAddr(ip) {
		return fmt.Errorf("%w: %s", errNotPublic, ip)
	}
	if port := ap.Port(); port != 80 && port != 443 {
		return fmt.Errorf("%w: port %d (only 80 and 443)", errNotPublic, port)
	}
	return nil
}

// nonPublic are the ranges no preview fetches from, beyond what netip's
// predicates name: "this network", shared address space (CGNAT), IETF
// protocol assignments, documentation and benchmarking ranges, reserved
// and broadcast, NAT64 and discard prefixes.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
}

func publicAddr(ip netip.Addr) bool {
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

func (s *Server) handlePreview(w http.ResponseWriter, r *http.Request) {
	if s.mediaCaller(w, r) == "" {
		return
	}
	raw := r.URL.Query().Get("url")
	if err := checkPreviewURL(raw); err != nil {
		s.writeError(w, err)
		return
	}
	resp, err := s.media.previews.preview(r.Context(), raw, s.now())
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func checkPreviewURL(raw string) error {
	if raw == "" {
		return protocol.Errorf(protocol.CodeInvalidArgument, "url is required")
	}
	if len(raw) > protocol.MaxURLLen {
		return protocol.Errorf(protocol.CodeInvalidArgument, "url is over %d bytes", protocol.MaxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return protocol.Errorf(protocol.CodeInvalidArgument, "url must be an absolute http or https URL")
	}
	return nil
}

func (p *previewer) preview(ctx context.Context, raw string, now time.Time) (protocol.PreviewResp, error) {
	p.mu.Lock()
	c, ok := p.cache[raw]
	p.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.resp, nil
	}
	resp, err := p.fetch(ctx, raw)
	if err != nil {
		return protocol.PreviewResp{}, err
	}
	p.mu.Lock()
	if len(p.cache) >= maxPreviewCache {
		clear(p.cache)
	}
	p.cache[raw] = cachedPreview{resp: resp, expires: now.Add(p.cfg.PreviewCacheTTL)}
	p.mu.Unlock()
	return resp, nil
}

func (p *previewer) fetch(ctx context.Context, raw string) (protocol.PreviewResp, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.PreviewTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return protocol.PreviewResp{}, protocol.Errorf(protocol.CodeInvalidArgument, "url: %v", err)
	}
	req.Header.Set("User-Agent", "ParleyLinkPreview/1.0")
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	res, err := p.client.Do(req)
	if err != nil {
		var pe *protocol.Error
		switch {
		case errors.As(err, &pe):
			return protocol.PreviewResp{}, pe
		case errors.Is(err, errNotPublic):
			return protocol.PreviewResp{}, protocol.Errorf(protocol.CodePermissionDenied, "the page is not on a public address")
		}
		p.log.Debug("preview fetch failed", "url", raw, "err", err)
		return protocol.PreviewResp{}, protocol.Errorf(protocol.CodeUnavailable, "the page could not be fetched")
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return protocol.PreviewResp{}, protocol.Errorf(protocol.CodeNotFound, "the page answered %d", res.StatusCode)
	}
	out := protocol.PreviewResp{URL: raw}
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if mt != "text/html" && mt != "application/xhtml+xml" {
		// Not a page (an image, a file): a preview of its address alone.
		return out, nil
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, p.cfg.PreviewMaxBytes))
	if err != nil && len(body) == 0 {
		return protocol.PreviewResp{}, protocol.Errorf(protocol.CodeUnavailable, "the page could not be read")
	}
	parsePreview(body, res.Request.URL, &out)
	return out, nil
}

var (
	titleRe = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	metaRe  = regexp.MustCompile(`(?is)<meta\s[^>]*>`)
	attrRe  = regexp.MustCompile(`(?is)([a-z:_-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)
)

// parsePreview fills out from a page's head: Open Graph first, then the
// title element and the description meta tag. page is the page's final
// URL, against which a relative image URL is resolved.
func parsePreview(body []byte, page *url.URL, out *protocol.PreviewResp) {
	if !utf8.Valid(body) {
		body = []byte(strings.ToValidUTF8(string(body), "\uFFFD"))
	}
	metas := map[string]string{}
	for _, tag := range metaRe.FindAll(body, 200) {
		attrs := map[string]string{}
		for _, m := range attrRe.FindAllSubmatch(tag, 20) {
			attrs[strings.ToLower(string(m[1]))] = string(m[2]) + string(m[3]) + string(m[4])
		}
		key := strings.ToLower(attrs["property"])
		if key == "" {
			key = strings.ToLower(attrs["name"])
		}
		if _, seen := metas[key]; key != "" && !seen {
			metas[key] = html.UnescapeString(attrs["content"])
		}
	}
	title := metas["og:title"]
	if title == "" {
		if m := titleRe.FindSubmatch(body); m != nil {
			title = html.UnescapeString(string(m[1]))
		}
	}
	desc := metas["og:description"]
	if desc == "" {
		desc = metas["description"]
	}
	out.Title = clip(oneLine(title), protocol.MaxShortTextLen)
	out.Description = clip(strings.TrimSpace(desc), protocol.MaxLongTextLen)
	if img := strings.TrimSpace(metas["og:image"]); img != "" {
		if u, err := page.Parse(img); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil {
			if s := u.String(); len(s) <= protocol.MaxURLLen && !strings.ContainsAny(s, " \t\r\n") {
				out.ImageURL = s
			}
		}
	}
}

// oneLine folds white space and drops control characters, as a title
// in LinkContent must be.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// clip cuts s to at most n bytes, at a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
