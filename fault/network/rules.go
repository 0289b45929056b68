package network

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// TablePrefix starts the name of every nftables table Tempest adds.
const TablePrefix = "tempest_"

// Chain names inside a Tempest table.
const (
	chainIngress    = "ingress"     // base chain, hook input
	chainEgress     = "egress"      // base chain, hook output
	chainActIngress = "act_ingress" // the action, reached by goto from chainIngress
	chainActEgress  = "act_egress"
	chainMarker     = "marker" // regular chain whose one rule carries the Marker
)

// hookPriority runs Tempest's chains before conntrack (-200) and every
// filter chain, so a dropped packet creates no conntrack entry. A drop
// in any base chain is final; an accept in one never overrides it.
const hookPriority = nftables.ChainPriority(-300)

// TableName is the table of one injection: TablePrefix and the first 16
// hex digits of SHA-256 over run ID, fault name and injection number.
func TableName(runID, faultName string, injection int) string {
	sum := sha256.Sum256([]byte(runID + "\x00" + faultName + "\x00" + strconv.Itoa(injection)))
	return TablePrefix + hex.EncodeToString(sum[:8])
}

// Marker is the comment on the one rule of a Tempest table's "marker"
// chain (JSON, at most 250 bytes): it makes a leftover table findable by
// run, and names the qdisc the injection added, if any.
type Marker struct {
	Run       string `json:"run"`
	Fault     string `json:"fault"`
	Injection int    `json:"injection"`
	Qdisc     *Qdisc `json:"qdisc,omitempty"`
}

const maxMarker = 250 // NFT_USERDATA_MAXLEN is 256, with a TLV header and a NUL

func (m Marker) encode() ([]byte, error) {
	for {
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		if len(b) <= maxMarker {
			return b, nil
		}
		if m.Fault == "" {
			return nil, fmt.Errorf("run ID too long for the marker (%d bytes)", len(m.Run))
		}
		// The table name is the identity; the marker's fault name is a hint.
		m.Fault = m.Fault[:len(m.Fault)/2]
	}
}

// Rule records one rule an injection added.
type Rule struct {
	Chain  string `json:"chain"`
	Handle uint64 `json:"handle,omitempty"`
	// Match describes it in nft syntax (informational).
	Match string `json:"match"`
}

// planned is one rule to add, with its description.
type planned struct {
	chain *nftables.Chain
	exprs []expr.Any
	desc  string
	udata []byte
}

// plan builds the table, chains and rules of c. The marker rule comes
// first so a table is never without it.
func plan(c compiled, table string, marker []byte) (*nftables.Table, []*nftables.Chain, []planned) {
	t := &nftables.Table{Name: table, Family: nftables.TableFamilyINet}
	markerChain := &nftables.Chain{Name: chainMarker, Table: t}
	chains := []*nftables.Chain{markerChain}
	rules := []planned{{
		chain: markerChain,
		exprs: []expr.Any{&expr.Counter{}},
		desc:  "counter comment marker",
		udata: userdata.AppendString(nil, userdata.TypeComment, string(marker)),
	}}
	if c.shaper == TBF {
		return t, chains, rules
	}
	accept := nftables.ChainPolicyAccept
	for _, d := range []Direction{Ingress, Egress} {
		if c.direction != Both && c.direction != d {
			continue
		}
		base := &nftables.Chain{Name: chainIngress, Table: t, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityRef(hookPriority), Policy: &accept}
		act := &nftables.Chain{Name: chainActIngress, Table: t}
		if d == Egress {
			base.Name, base.Hooknum, act.Name = chainEgress, nftables.ChainHookOutput, chainActEgress
		}
		chains = append(chains, base, act)
		for _, m := range matches(c, d) {
			exprs := slices.Concat(m.exprs, []expr.Any{&expr.Verdict{Kind: expr.VerdictGoto, Chain: act.Name}})
			rules = append(rules, planned{chain: base, exprs: exprs, desc: strings.TrimSpace(m.desc + " goto " + act.Name)})
		}
		exprs, desc := action(c)
		rules = append(rules, planned{chain: act, exprs: exprs, desc: desc})
	}
	return t, chains, rules
}

// match is the expressions of one match rule.
type match struct {
	exprs []expr.Any
	desc  string
}

// matches returns one rule per combination of c's filters for direction
// d: the remote end is the packet's destination on egress and its
// source on ingress.
func matches(c compiled, d Direction) []match {
	remoteDst := d == Egress
	out := []match{{}}
	extend := func(options []match) {
		if len(options) == 0 {
			return
		}
		var next []match
		for _, m := range out {
			for _, o := range options {
				next = append(next, match{
					exprs: append(append([]expr.Any{}, m.exprs...), o.exprs...),
					desc:  strings.TrimSpace(m.desc + " " + o.desc),
				})
			}
		}
		out = next
	}
	if c.spec.Interface != "" {
		key, word := expr.MetaKeyIIFNAME, "iifname"
		if d == Egress {
			key, word = expr.MetaKeyOIFNAME, "oifname"
		}
		name := make([]byte, unix.IFNAMSIZ)
		copy(name, c.spec.Interface)
		extend([]match{{
			exprs: []expr.Any{&expr.Meta{Key: key, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: name}},
			desc:  fmt.Sprintf("%s %q", word, c.spec.Interface),
		}})
	}
	extend(prefixMatches(c.dst.prefixes, remoteDst))
	extend(prefixMatches(c.src.prefixes, !remoteDst))
	var protos []match
	for _, p := range c.protocols {
		num := byte(unix.IPPROTO_TCP)
		if p == UDP {
			num = unix.IPPROTO_UDP
		}
		protos = append(protos, match{
			exprs: []expr.Any{&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{num}}},
			desc:  "meta l4proto " + string(p),
		})
	}
	extend(protos)
	extend(portMatches(c.dst.ports, remoteDst))
	extend(portMatches(c.src.ports, !remoteDst))
	return out
}

// prefixMatches matches the packet's destination (dst) or source address.
func prefixMatches(prefixes []netip.Prefix, dst bool) []match {
	var out []match
	for _, p := range prefixes {
		proto, family, offset, word := byte(unix.NFPROTO_IPV4), "ip", uint32(12), "saddr"
		if p.Addr().Is6() {
			proto, family, offset = unix.NFPROTO_IPV6, "ip6", 8
		}
		if dst {
			word = "daddr"
			offset += uint32(p.Addr().BitLen() / 8)
		}
		size := uint32(p.Addr().BitLen() / 8)
		exprs := []expr.Any{
			&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: size},
		}
		if p.Bits() < p.Addr().BitLen() {
			mask := netip.PrefixFrom(p.Addr(), p.Bits())
			exprs = append(exprs, &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: size,
				Mask: maskBytes(mask), Xor: make([]byte, size)})
		}
		exprs = append(exprs, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: p.Addr().AsSlice()})
		out = append(out, match{exprs: exprs, desc: fmt.Sprintf("%s %s %s", family, word, p)})
	}
	return out
}

func maskBytes(p netip.Prefix) []byte {
	b := make([]byte, p.Addr().BitLen()/8)
	for i := range p.Bits() {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return b
}

// portMatches matches the transport header's destination (dst) or source
// port; a protocol match precedes it.
func portMatches(ports []uint16, dst bool) []match {
	var out []match
	offset, word := uint32(0), "sport"
	if dst {
		offset, word = 2, "dport"
	}
	for _, p := range ports {
		out = append(out, match{
			exprs: []expr.Any{
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: offset, Len: 2},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.BigEndian.AppendUint16(nil, p)},
			},
			desc: fmt.Sprintf("th %s %d", word, p),
		})
	}
	return out
}

// action returns the one rule of an action chain.
func action(c compiled) ([]expr.Any, string) {
	drop := []expr.Any{&expr.Counter{}, &expr.Verdict{Kind: expr.VerdictDrop}}
	switch c.spec.Action {
	case Loss:
		// numgen yields a host-order u32; cmp compares bytes, so convert
		// it to big endian first (as nft does for "<").
		return append([]expr.Any{
			&expr.Numgen{Register: 1, Modulus: 10000, Type: unix.NFT_NG_RANDOM},
			&expr.Byteorder{SourceRegister: 1, DestRegister: 1, Op: expr.ByteorderHton, Len: 4, Size: 4},
			&expr.Cmp{Op: expr.CmpOpLt, Register: 1, Data: binary.BigEndian.AppendUint32(nil, c.percent)},
		}, drop...), fmt.Sprintf("numgen random mod 10000 < %d counter drop", c.percent)
	case Bandwidth:
		return append([]expr.Any{
			&expr.Limit{Type: expr.LimitTypePktBytes, Rate: c.rateBytes, Over: true, Unit: expr.LimitTimeSecond, Burst: c.burst},
		}, drop...), fmt.Sprintf("limit rate over %d bytes/second burst %d bytes counter drop", c.rateBytes, c.burst)
	default:
		return drop, "counter drop"
	}
}
