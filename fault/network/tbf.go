package network

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	"github.com/vishvananda/netlink"

	"github.com/tempest-chaos/tempest/errkind"
)

// Qdisc records a qdisc an injection added at the root of an interface.
type Qdisc struct {
	Link   string `json:"link"`
	Index  int    `json:"index"`
	Handle uint32 `json:"handle"`
	Kind   string `json:"kind"`
}

func (q Qdisc) String() string {
	return fmt.Sprintf("%s %s on %s", q.Kind, netlink.HandleStr(q.Handle), q.Link)
}

// tbfLatency bounds the queueing delay of the tbf qdisc.
const tbfLatencyMicros = 50_000

// qdiscHandle derives a root handle (major 0x1000-0x7fff, below the
// kernel's automatic 0x8000+) from the table name.
func qdiscHandle(table string) uint32 {
	sum := sha256.Sum256([]byte(table))
	major := 0x1000 + uint32(binary.BigEndian.Uint16(sum[:2]))%0x7000
	return netlink.MakeHandle(uint16(major), 0)
}

// rootIsFree succeeds when link's root qdisc is the kernel's default
// (handle 0) or already q (an earlier attempt's); an operator's root
// qdisc is never replaced: that is Refused, naming it.
func rootIsFree(h *netlink.Handle, link netlink.Link, q *Qdisc) error {
	qdiscs, err := h.QdiscList(link)
	if err != nil {
		return classify(fmt.Errorf("interface: list qdiscs of %s: %w", q.Link, err))
	}
	for _, qd := range qdiscs {
		a := qd.Attrs()
		if a.Parent != netlink.HANDLE_ROOT || a.Handle == 0 {
			continue
		}
		if a.Handle == q.Handle && qd.Type() == q.Kind {
			return nil
		}
		return errkind.New(errkind.Refused, "interface: %s has root qdisc %s %s, not Tempest's: shaper tbf replaces only the kernel's default root qdisc (use shaper nftables, or remove it)",
			q.Link, qd.Type(), netlink.HandleStr(a.Handle))
	}
	return nil
}

// addTBF puts a tbf qdisc at the root of q.Link (replacing the default,
// or an earlier attempt's own).
func addTBF(h *netlink.Handle, q *Qdisc, c compiled) error {
	tbf := &netlink.Tbf{
		QdiscAttrs: netlink.QdiscAttrs{LinkIndex: q.Index, Handle: q.Handle, Parent: netlink.HANDLE_ROOT},
		Rate:       c.rateBytes,
		Limit:      uint32(min(c.rateBytes*tbfLatencyMicros/1_000_000+uint64(c.burst), 1<<31)),
		Buffer:     netlink.Xmittime(c.rateBytes, c.burst),
	}
	if err := h.QdiscReplace(tbf); err != nil {
		return classify(fmt.Errorf("interface: add %s: %w", q, err))
	}
	return nil
}

// delTBF deletes q if it is still the root qdisc of its link with the
// recorded handle and kind; otherwise it is gone or not ours to delete.
func delTBF(o *openNS, q *Qdisc) error {
	h, err := netlink.NewHandleAt(o.h)
	if err != nil {
		return classify(fmt.Errorf("netlink in %s: %w", o.ns, err))
	}
	defer h.Close()
	link, err := h.LinkByIndex(q.Index)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) || errors.Is(err, syscall.ENODEV) {
			return nil // the link, and its qdiscs, are gone
		}
		return classify(fmt.Errorf("link %d in %s: %w", q.Index, o.ns, err))
	}
	qdiscs, err := h.QdiscList(link)
	if err != nil {
		return classify(fmt.Errorf("list qdiscs of %s: %w", q.Link, err))
	}
	for _, qd := range qdiscs {
		a := qd.Attrs()
		if a.Parent != netlink.HANDLE_ROOT || a.Handle != q.Handle || qd.Type() != q.Kind {
			continue
		}
		if err := h.QdiscDel(qd); err != nil && !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.EINVAL) {
			return classify(fmt.Errorf("delete %s: %w", q, err))
		}
	}
	return nil
}
