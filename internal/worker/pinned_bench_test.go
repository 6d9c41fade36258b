package worker

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkWorkerPinned is BenchmarkWorker as the worker runs in
// production, where the broker and the object store are other machines: a
// palette-worker process (GOMAXPROCS=1, -concurrency 4, or
// PALETTE_BENCH_CONCURRENCY) has CPU 0 to itself, while the broker (kfake,
// in this process), the S3 server (versitygw) and the test's own clients
// share the other CPUs. The baseline is palettecli (GOMAXPROCS=1) on CPU 0,
// reading the same photos from files and writing the swatches to files.
// One op is a round of benchRepeats jobs per bench photo through each.
// jobs/s is the worker's, cli-jobs/s palettecli's, ratio the first over the
// second (the bar is 0.8); cpu-ratio is palettecli's CPU time per job over
// the worker process's.
//
// It needs Linux and at least 2 CPUs.
func BenchmarkWorkerPinned(b *testing.B) {
	if runtime.NumCPU() < 2 {
		b.Fatalf("BenchmarkWorkerPinned needs 2 CPUs, this machine has %d", runtime.NumCPU())
	}
	var all, work, infra unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		b.Fatalf("sched_getaffinity: %v", err)
	}
	var cpus []int
	for c := range 1024 {
		if all.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	if len(cpus) < 2 {
		b.Fatalf("this process may run on %d CPU(s); BenchmarkWorkerPinned needs 2", len(cpus))
	}
	work.Set(cpus[0])
	for _, c := range cpus[1:] {
		infra.Set(c)
	}
	// Every thread of this process (and so every process it starts, the S3
	// server among them) moves off the worker's CPU.
	pinProcess(b, os.Getpid(), &infra)
	b.Cleanup(func() { pinProcess(b, os.Getpid(), &all) })

	photos := benchPhotos(b)
	g := startVersitygw(b)
	endpoint := g.Endpoint()
	brokers := startKafka(b)
	benchUpload(b, g.Client(), photos)
	rc := countResults(b, brokers)

	out := &e2eBuffer{}
	worker := exec.Command(workerBinary(b),
		"-brokers", strings.Join(brokers, ","), "-group", "pinned",
		"-s3-endpoint", endpoint, "-s3-region", "us-east-1",
		"-http", "", "-concurrency", strconv.Itoa(workerConc(1)), "-max-attempts", "3", "-shutdown-timeout", "5s")
	worker.Env = append(procEnv(b), "GOMAXPROCS=1")
	worker.Stdout, worker.Stderr = out, out
	startPinned(b, worker, &work)
	exited := make(chan struct{})
	go func() { worker.Wait(); close(exited) }()
	b.Cleanup(func() {
		worker.Process.Signal(syscall.SIGKILL)
		<-exited
	})

	// palettecli's inputs: benchRepeats links to each photo, one manifest.
	k := benchRepeats * len(photos)
	dir := b.TempDir()
	var manifest bytes.Buffer
	manifest.WriteString("image,colors\n")
	for i := range k {
		p := photos[i%len(photos)]
		name := fmt.Sprintf("p%04d-%s", i, p.name)
		if err := os.WriteFile(filepath.Join(dir, name), p.data, 0o644); err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(&manifest, "%s,%s\n", name, strings.Join(benchColors, "|"))
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.csv"), manifest.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	cli := goBinary(b, "palettecli")
	runCLI := func() (wall, cpu time.Duration) {
		cmd := exec.Command(cli, "-manifest", filepath.Join(dir, "manifest.csv"), "-o", filepath.Join(dir, "out"))
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
		var cliOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &cliOut, &cliOut
		start := time.Now()
		startPinned(b, cmd, &work)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("palettecli: %v\n%s", err, cliOut.String())
		}
		wall = time.Since(start)
		return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}

	// Warm up: the group join, connections, the page cache.
	enqueueJobs(b, brokers, benchJobs("warm", len(photos), photos))
	want := int64(len(photos))
	rc.wait(b, want)
	runCLI()

	var e2e, cliWall, workerCPU, cliCPU time.Duration
	var jobs int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		select {
		case <-exited:
			b.Fatalf("palette-worker exited early\n%s", out.String())
		default:
		}
		cpu0 := procCPU(b, worker.Process.Pid)
		start := time.Now()
		enqueueJobs(b, brokers, benchJobs(fmt.Sprintf("p%d", i), k, photos))
		want += int64(k)
		rc.wait(b, want)
		e2e += time.Since(start)
		workerCPU += procCPU(b, worker.Process.Pid) - cpu0

		wall, cpu := runCLI()
		cliWall += wall
		cliCPU += cpu
		jobs += k
	}
	b.StopTimer()
	b.ReportMetric(float64(jobs)/e2e.Seconds(), "jobs/s")
	b.ReportMetric(float64(jobs)/cliWall.Seconds(), "cli-jobs/s")
	b.ReportMetric(cliWall.Seconds()/e2e.Seconds(), "ratio")
	b.ReportMetric(cliCPU.Seconds()/workerCPU.Seconds(), "cpu-ratio")
}

// pinProcess sets the CPU affinity of every thread of process pid.
// Threads created later inherit their creator's.
func pinProcess(tb testing.TB, pid int, set *unix.CPUSet) {
	tb.Helper()
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		tb.Fatalf("listing the threads of %d: %v", pid, err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, set); err != nil && err != unix.ESRCH {
			tb.Fatalf("sched_setaffinity(%d): %v", tid, err)
		}
	}
}

// startPinned starts cmd from a thread whose affinity is set, so that the
// process runs only on those CPUs from its first instruction.
func startPinned(tb testing.TB, cmd *exec.Cmd, set *unix.CPUSet) {
	tb.Helper()
	errc := make(chan error, 1)
	go func() {
		// The thread is left locked: it exits with the goroutine, and its
		// affinity with it.
		runtime.LockOSThread()
		if err := unix.SchedSetaffinity(0, set); err != nil {
			errc <- fmt.Errorf("sched_setaffinity: %w", err)
			return
		}
		errc <- cmd.Start()
	}()
	if err := <-errc; err != nil {
		tb.Fatalf("starting %s: %v", filepath.Base(cmd.Path), err)
	}
	var got unix.CPUSet
	if err := unix.SchedGetaffinity(cmd.Process.Pid, &got); err != nil || got != *set {
		tb.Fatalf("%s runs on CPUs %v, want %v (%v)", filepath.Base(cmd.Path), got, *set, err)
	}
}

// procCPU is the user and system CPU time process pid has used so far.
func procCPU(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	// Fields after the command name, which is in parentheses: utime and
	// stime are the 12th and 13th, in clock ticks.
	i := bytes.LastIndexByte(data, ')')
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		tb.Fatalf("/proc/%d/stat: %q", pid, data)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		tb.Fatalf("/proc/%d/stat: %q", pid, data)
	}
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(u+s) * time.Second / ticks
}
