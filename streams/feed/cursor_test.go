package feed

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/eventstore"
)

func TestCursorRoundTripOpaqueAndJSSafe(t *testing.T) {
	t.Parallel()
	c, err := NewCursors([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	other, err := NewCursors([]byte("fedcba9876543210fedcba9876543210"))
	require.NoError(t, err)
	seen := map[uint64]bool{}
	for _, stream := range []string{eventstore.StreamHooks, eventstore.StreamExec} {
		for _, seq := range []uint64{1, 2, 3, 1000, 1 << 32, seqMax} {
			v := c.Encode(stream, seq)
			require.LessOrEqual(t, v, uint64(1)<<53-1, "JS-safe")
			require.NotEqual(t, seq, v, "opaque")
			require.NotEqual(t, other.Encode(stream, seq), v, "keyed")
			require.False(t, seen[v], "a permutation")
			seen[v] = true
			s, n, err := c.Decode(v)
			require.NoError(t, err)
			require.Equal(t, stream, s)
			require.Equal(t, seq, n)
		}
	}
	// Consecutive sequences do not give consecutive cursors.
	require.NotEqual(t, c.Encode(eventstore.StreamHooks, 10)+1, c.Encode(eventstore.StreamHooks, 11))
	_, _, err = c.Decode(1 << 60)
	require.ErrorIs(t, err, ErrBadCursor)
	_, err = NewCursors([]byte("short"))
	require.Error(t, err)
}
