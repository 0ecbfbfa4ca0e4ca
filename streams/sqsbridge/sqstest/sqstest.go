// Package sqstest runs a real SQS-compatible server for tests: fauxqs (npm,
// pinned in testdata/sqs/package.json and package-lock.json), spoken to over
// HTTP on 127.0.0.1 with aws-sdk-go-v2 exactly as production speaks to AWS.
// Import it only from _test.go files.
//
// [Start] runs one server per call on a free port, as a child of the test
// binary that never outlives it: the child is in its own process group,
// gets SIGKILL when the test binary's thread that started it dies
// (Pdeathsig), exits when its standard input (a pipe held by the test
// binary) closes, and is killed in t.Cleanup. Node modules are installed
// with `npm ci` into testdata/sqs/node_modules on first use when absent
// (once per machine; `.ci/run` may do it ahead).
//
// The server keeps its queues in memory: [Server.Stop] + [Server.Restart]
// loses them, [Server.Pause] + [Server.Resume] (SIGSTOP/SIGCONT) simulates
// an outage that keeps them — requests hang until the client's timeout.
package sqstest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Region is the region of the test server's queue ARNs.
const Region = "us-east-1"

// Server is a running fauxqs.
type Server struct {
	// URL is the endpoint, http://127.0.0.1:<port>.
	URL  string
	port int
	t    testing.TB

	mu  sync.Mutex
	cmd *exec.Cmd
	in  *os.File // write end of the child's stdin; closing it ends the child
}

var installOnce sync.Once
var installErr error

// dir is testdata/sqs of the repository.
func dir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("sqstest: cannot locate source")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "sqs"), nil
}

func install(d string) error {
	installOnce.Do(func() {
		marker := filepath.Join(d, "node_modules", "fauxqs", "package.json")
		if _, err := os.Stat(marker); err == nil {
			return
		}
		// Test binaries of several packages start at once: one installs,
		// the others wait on the lock and find it done.
		lock, err := os.OpenFile(filepath.Join(os.TempDir(), "hookstream-sqstest-npm.lock"), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			installErr = err
			return
		}
		defer lock.Close()
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
			installErr = err
			return
		}
		defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
		if _, err := os.Stat(marker); err == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = d
		out, err := cmd.CombinedOutput()
		if err != nil {
			installErr = fmt.Errorf("sqstest: npm ci in %s: %w\n%s", d, err, out)
		}
	})
	return installErr
}

// Start starts a server on a free port; it is killed when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t}
	if err := s.start(0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start(port int) error {
	d, err := dir()
	if err != nil {
		return err
	}
	if err := install(d); err != nil {
		return err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("sqstest: node not found: %w", err)
	}
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(context.Background(), node, "server.mjs")
	cmd.Dir = d
	cmd.Env = append(os.Environ(), "FAUXQS_PORT="+strconv.Itoa(port), "FAUXQS_WATCH_STDIN=1", "FAUXQS_LOGGER=false")
	cmd.Stdin = stdinR
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	// Pdeathsig follows the thread that forks: keep it alive for the child.
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	_ = stdinR.Close()
	if err != nil {
		_ = stdinW.Close()
		return fmt.Errorf("sqstest: start fauxqs: %w", err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "fauxqs listening ") {
				select {
				case lines <- strings.TrimPrefix(sc.Text(), "fauxqs listening "):
				default:
				}
			}
		}
	}()
	select {
	case u := <-lines:
		s.mu.Lock()
		s.cmd, s.in, s.URL = cmd, stdinW, u
		i := strings.LastIndexByte(u, ':')
		s.port, _ = strconv.Atoi(u[i+1:])
		s.mu.Unlock()
		return nil
	case <-time.After(60 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		_ = stdinW.Close()
		return errors.New("sqstest: fauxqs did not start within 60 s")
	}
}

// Stop kills the server (its queues are lost).
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, in := s.cmd, s.in
	s.cmd, s.in = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
	_ = in.Close()
}

// Restart starts a stopped server again on the same port (empty).
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.start(s.port); err != nil {
		s.t.Fatal(err)
	}
}

// Pause freezes the server (SIGSTOP): it keeps its queues, accepts TCP
// connections in the kernel's backlog and answers nothing until Resume.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = syscall.Kill(-s.cmd.Process.Pid, sig)
	}
}

// AWSConfig is a client configuration for the server: static test
// credentials, Region, the server's URL as endpoint.
func (s *Server) AWSConfig() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s.URL),
	}
}

// Client returns an SQS client for the server.
func (s *Server) Client() *sqs.Client { return sqs.NewFromConfig(s.AWSConfig()) }

// QueueOptions shape a queue created by CreateQueue.
type QueueOptions struct {
	FIFO bool
	// DLQ and MaxReceiveCount set a redrive policy to that queue's ARN.
	DLQ             string
	MaxReceiveCount int
	// VisibilityTimeout in seconds (default the server's, 30).
	VisibilityTimeout int
}

// CreateQueue creates a queue and returns its URL.
func (s *Server) CreateQueue(t testing.TB, name string, o QueueOptions) string {
	t.Helper()
	attrs := map[string]string{}
	if o.FIFO {
		if !strings.HasSuffix(name, ".fifo") {
			name += ".fifo"
		}
		attrs[string(types.QueueAttributeNameFifoQueue)] = "true"
	}
	if o.DLQ != "" {
		policy := fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":"%d"}`, s.ARN(t, o.DLQ), max(o.MaxReceiveCount, 1))
		attrs[string(types.QueueAttributeNameRedrivePolicy)] = policy
	}
	if o.VisibilityTimeout > 0 {
		attrs[string(types.QueueAttributeNameVisibilityTimeout)] = strconv.Itoa(o.VisibilityTimeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := s.Client().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// ARN returns a queue's ARN.
func (s *Server) ARN(t testing.TB, queueURL string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := s.Client().GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("queue arn %s: %v", queueURL, err)
	}
	return out.Attributes[string(types.QueueAttributeNameQueueArn)]
}

// Drain receives every message currently visible in a queue (short polls
// until one comes back empty), deletes them and returns them.
func (s *Server) Drain(t testing.TB, queueURL string) []types.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := s.Client()
	var all []types.Message
	for {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 0,
			MessageAttributeNames: []string{"All"}, MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatalf("receive %s: %v", queueURL, err)
		}
		if len(out.Messages) == 0 {
			return all
		}
		entries := make([]types.DeleteMessageBatchRequestEntry, 0, len(out.Messages))
		for i, m := range out.Messages {
			entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		if _, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries}); err != nil {
			t.Fatalf("delete %s: %v", queueURL, err)
		}
		all = append(all, out.Messages...)
	}
}

// Count returns a queue's visible and in-flight (received, not deleted)
// message counts.
func (s *Server) Count(t testing.TB, queueURL string) (visible, inFlight int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := s.Client().GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL), AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible},
	})
	if err != nil {
		t.Fatalf("queue attributes %s: %v", queueURL, err)
	}
	visible, _ = strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	inFlight, _ = strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return visible, inFlight
}
