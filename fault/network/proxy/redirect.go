package proxy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// Chain names inside a redirect table.
const (
	chainMarker = "marker" // regular chain whose one rule carries the Marker
	chainOutput = "output" // nat chain, hook output
)

// natPriority is the kernel's dstnat priority for the output hook.
const natPriority = nftables.ChainPriority(-100)

// family returns the nftables family for the dependency's address: ip
// for IPv4, ip6 for IPv6 (nat in the inet family needs newer kernels).
func family(a netip.Addr) nftables.TableFamily {
	if a.Is4() {
		return nftables.TableFamilyIPv4
	}
	return nftables.TableFamilyIPv6
}

func familyName(f nftables.TableFamily) string {
	if f == nftables.TableFamilyIPv4 {
		return "ip"
	}
	return "ip6"
}

func parseFamily(s string) (nftables.TableFamily, bool) {
	switch s {
	case "ip":
		return nftables.TableFamilyIPv4, true
	case "ip6":
		return nftables.TableFamilyIPv6, true
	}
	return 0, false
}

// redirectPlan is the table of one transparent injection:
//
//	table ip tempestpx_HASH {
//	  chain marker { counter comment "MARKER" }
//	  chain output {
//	    type nat hook output priority -100; policy accept;
//	    meta mark MARK return
//	    ip daddr DEP tcp dport PORT counter redirect to :LISTEN
//	  }
//	}
//
// The mark is the embedded proxy's own upstream sockets' (SO_MARK): its
// connections to the dependency are never redirected again.
type redirectPlan struct {
	table  *nftables.Table
	chains []*nftables.Chain
	rules  []*nftables.Rule
	desc   []string
}

func planRedirect(name string, dep netip.AddrPort, listenPort uint16, mark uint32, marker []byte) redirectPlan {
	fam := family(dep.Addr())
	t := &nftables.Table{Name: name, Family: fam}
	mc := &nftables.Chain{Name: chainMarker, Table: t}
	accept := nftables.ChainPolicyAccept
	oc := &nftables.Chain{Name: chainOutput, Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityRef(natPriority), Policy: &accept}

	daddrOffset, word := uint32(16), "ip"
	if fam == nftables.TableFamilyIPv6 {
		daddrOffset, word = 24, "ip6"
	}
	addr := dep.Addr().AsSlice()
	p := redirectPlan{table: t, chains: []*nftables.Chain{mc, oc}}
	p.rules = []*nftables.Rule{
		{Table: t, Chain: mc, Exprs: []expr.Any{&expr.Counter{}},
			UserData: userdata.AppendString(nil, userdata.TypeComment, string(marker))},
		{Table: t, Chain: oc, Exprs: []expr.Any{
			&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.NativeEndian.AppendUint32(nil, mark)},
			&expr.Verdict{Kind: expr.VerdictReturn},
		}},
		{Table: t, Chain: oc, Exprs: []expr.Any{
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: daddrOffset, Len: uint32(len(addr))},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: addr},
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.BigEndian.AppendUint16(nil, dep.Port())},
			&expr.Counter{},
			&expr.Immediate{Register: 1, Data: binary.BigEndian.AppendUint16(nil, listenPort)},
			&expr.Redir{RegisterProtoMin: 1},
		}},
	}
	p.desc = []string{
		"counter comment marker",
		fmt.Sprintf("meta mark %#x return", mark),
		fmt.Sprintf("%s daddr %s tcp dport %d counter redirect to :%d", word, dep.Addr(), dep.Port(), listenPort),
	}
	return p
}

// addRedirect adds p's table in one transaction, replacing a table of
// the same name (an earlier attempt's) in the same transaction. It
// returns whether a table of that name existed before.
func addRedirect(conn *nftables.Conn, p redirectPlan) (existed bool, err error) {
	existed, err = tableExists(conn, p.table.Family, p.table.Name)
	if err != nil {
		return false, err
	}
	if existed {
		conn.DelTable(p.table)
	}
	conn.AddTable(p.table)
	for _, ch := range p.chains {
		conn.AddChain(ch)
	}
	for _, r := range p.rules {
		conn.AddRule(r)
	}
	return existed, conn.Flush()
}

// delRedirect deletes table name of family fam; a table already gone
// counts as deleted.
func delRedirect(conn *nftables.Conn, fam nftables.TableFamily, name string) error {
	exists, err := tableExists(conn, fam, name)
	if err != nil || !exists {
		return err
	}
	conn.DelTable(&nftables.Table{Name: name, Family: fam})
	if err := conn.Flush(); err != nil && !errors.Is(err, syscall.ENOENT) {
		return err
	}
	return nil
}

func tableExists(conn *nftables.Conn, fam nftables.TableFamily, name string) (bool, error) {
	tables, err := conn.ListTablesOfFamily(fam)
	if err != nil {
		return false, err
	}
	for _, t := range tables {
		if t.Name == name {
			return true, nil
		}
	}
	return false, nil
}
