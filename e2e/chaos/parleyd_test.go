package chaos

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/protocol"
)

const adminSecret = "chaos-admin-secret"

// parleydBin is the parleyd binary every test starts: $PARLEYD_BIN, or one
// built by TestMain.
var parleydBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	parleydBin = os.Getenv("PARLEYD_BIN")
	if parleydBin == "" {
		dir, err := os.MkdirTemp("", "parleyd-chaos-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "chaos:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		parleydBin = filepath.Join(dir, "parleyd")
		cmd := exec.Command("go", "build", "-o", parleydBin, "./cmd/parleyd")
		cmd.Dir = filepath.Join("..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "chaos: building parleyd: %v\n%s", err, out)
			return 1
		}
	}
	return m.Run()
}

// parleyd is one parleyd child process at a time on a fixed data folder and
// (after the first start) a fixed address, so clients reconnect to the same
// URL across restarts.
type parleyd struct {
	t    testing.TB
	data string
	log  *os.File // every run's stderr, appended; shown when a test fails
	addr string   // host:port, known after the first start

	cmd    *exec.Cmd
	exited chan struct{}
	starts int
}

func newParleyd(t testing.TB) *parleyd {
	t.Helper()
	dir := t.TempDir()
	log, err := os.Create(filepath.Join(dir, "parleyd.log"))
	if err != nil {
		t.Fatal(err)
	}
	p := &parleyd{t: t, data: filepath.Join(dir, "data"), log: log, addr: "127.0.0.1:0"}
	t.Cleanup(func() {
		if p.cmd != nil {
			p.kill()
		}
		if t.Failed() || os.Getenv("PARLEY_CHAOS_LOG") != "" {
			b, _ := os.ReadFile(log.Name())
			if len(b) > 64<<10 {
				b = b[len(b)-64<<10:]
			}
			t.Logf("parleyd log (tail):\n%s", b)
		}
		log.Close()
	})
	return p
}

var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// start runs parleyd and waits until /healthz answers 200.
func (p *parleyd) start() {
	p.t.Helper()
	if p.cmd != nil {
		p.t.Fatal("parleyd already running")
	}
	var err error
	for attempt := 0; ; attempt++ {
		if err = p.startOnce(); err == nil {
			return
		}
		// Rebinding the port right after a kill can fail briefly.
		if attempt == 20 {
			p.t.Fatalf("starting parleyd: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *parleyd) startOnce() error {
	cmd := exec.Command(parleydBin, "-addr", p.addr, "-data", p.data, "-admin-secret", adminSecret)
	cmd.Env = append(os.Environ(), "PARLEY_LOG_LEVEL=info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	cmd.Stdout = p.log
	if err := cmd.Start(); err != nil {
		return err
	}
	p.starts++
	fmt.Fprintf(p.log, "---- start %d (pid %d)\n", p.starts, cmd.Process.Pid)
	addrc := make(chan string, 1)
	exited := make(chan struct{})
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			p.log.Write(append(line, '\n'))
			if m := listeningRE.FindSubmatch(line); m != nil {
				select {
				case addrc <- string(m[1]):
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() {
		<-copied // Wait closes the pipe: read it to the end first
		cmd.Wait()
		close(exited)
	}()
	select {
	case addr := <-addrc:
		if p.addr != addr {
			p.addr = addr // the first start, on port 0; later ones reuse it
		}
	case <-exited:
		return fmt.Errorf("parleyd exited at start (%v)", cmd.ProcessState)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
		return errors.New("parleyd did not report its address")
	}
	p.cmd, p.exited = cmd, exited
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + p.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			p.kill()
			return fmt.Errorf("parleyd not healthy: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends parleyd gracefully (SIGTERM) and waits for it.
func (p *parleyd) stop() {
	p.t.Helper()
	p.signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.t.Errorf("parleyd did not stop within 30s of SIGTERM; killing it")
		p.cmd.Process.Kill()
		<-p.exited
	}
	if st := p.cmd.ProcessState; st != nil && !st.Success() {
		p.t.Errorf("parleyd exited with %v after SIGTERM", st)
	}
	p.cmd = nil
}

// kill ends parleyd hard (SIGKILL): nothing is flushed or closed.
func (p *parleyd) kill() {
	p.t.Helper()
	p.signal(syscall.SIGKILL)
	<-p.exited
	p.cmd = nil
}

func (p *parleyd) signal(sig os.Signal) {
	p.t.Helper()
	if p.cmd == nil {
		p.t.Fatal("parleyd not running")
	}
	fmt.Fprintf(p.log, "---- signal %v\n", sig)
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Fatalf("signal parleyd: %v", err)
	}
}

// admin calls an admin route.
func (p *parleyd) admin(path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+p.addr+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+adminSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, b)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

func (p *parleyd) user(id string) {
	p.t.Helper()
	if err := p.admin("/api/v1/admin/users", protocol.AdminCreateUserReq{UserID: id, Nickname: "Nick " + id}, nil); err != nil {
		p.t.Fatal(err)
	}
}

func (p *parleyd) token(id string) string {
	p.t.Helper()
	var tr protocol.TokenResp
	if err := p.admin("/api/v1/admin/tokens", protocol.AdminTokenReq{UserID: id, Platform: protocol.PlatformWeb}, &tr); err != nil {
		p.t.Fatal(err)
	}
	return tr.Token
}

func (p *parleyd) group(owner, name string, members []string) string {
	p.t.Helper()
	var g protocol.Group
	body := map[string]any{"ownerUserID": owner, "name": name, "memberUserIDs": members}
	if err := p.admin("/api/v1/admin/groups", body, &g); err != nil {
		p.t.Fatal(err)
	}
	return g.GroupID
}

// proxy forwards TCP connections to parleyd and cuts them on demand, the
// way a flaky network or a load balancer does.
type proxy struct {
	ln      net.Listener
	backend string
	refuse  atomic.Bool // close new connections at once

	mu    sync.Mutex
	next  int
	conns map[int]*pipe
	wg    sync.WaitGroup
}

type pipe struct{ a, b net.Conn }

func (p *pipe) close() { p.a.Close(); p.b.Close() }

func newProxy(t testing.TB, backend string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	px := &proxy{ln: ln, backend: backend, conns: map[int]*pipe{}}
	px.wg.Add(1)
	go px.accept()
	t.Cleanup(func() {
		ln.Close()
		px.cutAll()
		px.wg.Wait()
	})
	return px
}

func (px *proxy) url() string { return "http://" + px.ln.Addr().String() }

func (px *proxy) accept() {
	defer px.wg.Done()
	for {
		c, err := px.ln.Accept()
		if err != nil {
			return
		}
		if px.refuse.Load() {
			c.Close()
			continue
		}
		px.wg.Add(1)
		go px.serve(c)
	}
}

func (px *proxy) serve(c net.Conn) {
	defer px.wg.Done()
	b, err := net.DialTimeout("tcp", px.backend, 2*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p := &pipe{a: c, b: b}
	px.mu.Lock()
	id := px.next
	px.next++
	px.conns[id] = p
	px.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(b, c); done <- struct{}{} }()
	go func() { io.Copy(c, b); done <- struct{}{} }()
	<-done
	p.close()
	<-done
	px.mu.Lock()
	delete(px.conns, id)
	px.mu.Unlock()
}

// live returns the IDs of the open connections, ascending.
func (px *proxy) live() []int {
	px.mu.Lock()
	defer px.mu.Unlock()
	ids := make([]int, 0, len(px.conns))
	for id := range px.conns {
		ids = append(ids, id)
	}
	sortInts(ids)
	return ids
}

// cut closes one connection; false if it was gone.
func (px *proxy) cut(id int) bool {
	px.mu.Lock()
	p := px.conns[id]
	px.mu.Unlock()
	if p == nil {
		return false
	}
	p.close()
	return true
}

// cutAll closes every connection and returns how many.
func (px *proxy) cutAll() int {
	n := 0
	for _, id := range px.live() {
		if px.cut(id) {
			n++
		}
	}
	return n
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// raw is a plain protocol connection straight to parleyd, for reading the
// server's truth without going through the SDK under test. Requests are
// one at a time; pushes are skipped.
type raw struct {
	c    *websocket.Conn
	next int
}

func dialRaw(ctx context.Context, addr, token string) (*raw, error) {
	c, _, err := websocket.Dial(ctx, "ws://"+addr+protocol.WSPath+"?"+protocol.WSTokenParam+"="+token, nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(64 << 20)
	return &raw{c: c}, nil
}

func (r *raw) close() { r.c.CloseNow() }

func (r *raw) call(ctx context.Context, typ string, req, resp any) error {
	r.next++
	id := strconv.Itoa(r.next)
	b, err := protocol.EncodeFrame(id, typ, req)
	if err != nil {
		return err
	}
	if err := r.c.Write(ctx, websocket.MessageText, b); err != nil {
		return err
	}
	for {
		_, b, err := r.c.Read(ctx)
		if err != nil {
			return err
		}
		f, err := protocol.DecodeFrame(b)
		if err != nil {
			return err
		}
		if f.ID != id {
			continue
		}
		if f.Error != nil {
			return f.Error
		}
		return protocol.DecodeData(f.Data, resp)
	}
}

// states returns the user's conversation states from a full sync.
func (r *raw) states(ctx context.Context) (map[string]protocol.ConversationState, error) {
	out := map[string]protocol.ConversationState{}
	cursor := int64(0)
	for {
		var resp protocol.SyncResp
		if err := r.call(ctx, protocol.ReqSync, protocol.SyncReq{Cursor: cursor, Limit: 500}, &resp); err != nil {
			return nil, err
		}
		for _, st := range resp.Conversations {
			out[st.ConversationID] = st
		}
		if !resp.HasMore || resp.Cursor <= cursor {
			return out, nil
		}
		cursor = resp.Cursor
	}
}

// messages returns every message of a conversation with seq in [1, max],
// ascending, as the server returns them.
func (r *raw) messages(ctx context.Context, conv string, max int64) ([]protocol.Message, error) {
	var all []protocol.Message
	from := int64(1)
	for from <= max {
		var resp protocol.PullResp
		req := protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conv, FromSeq: from, ToSeq: max, Limit: protocol.MaxPullLimit}}}
		if err := r.call(ctx, protocol.ReqPull, req, &resp); err != nil {
			return nil, err
		}
		if len(resp.Messages) == 0 {
			break
		}
		all = append(all, resp.Messages...)
		from = resp.Messages[len(resp.Messages)-1].Seq + 1
	}
	return all, nil
}
