using Autonomy.Common;
using Autonomy.Ledger;
using CsCheck;

namespace Autonomy.Tests.Common;

public sealed class IdsTests
{
    [Fact]
    public void AnIdOfOnlyDotsIsNeverAKey() =>
        Gen.Int[1, 128].Sample(n => !Ids.IsValidKey(new string('.', n)));

    [Fact]
    public void AnIdOfAllowedCharactersWithAtLeastOneThatIsNotADotIsAKey() =>
        Gen.Char["._-aZ09"].Array[1, 128].Where(c => c.Any(x => x != '.')).Sample(chars => Ids.IsValidKey(new string(chars)));

    [Fact]
    public void EveryLedgerCursorDecodesBackAndGarbageIsRefusedWithoutThrowing()
    {
        Gen.Select(Gen.ULong[0, long.MaxValue], Gen.Long[0, long.MaxValue], Gen.Bool).Sample((tx, position, ordered) =>
        {
            var cursor = new LedgerCursor(ordered ? tx : 0, position);
            return LedgerPaging.TryDecode(LedgerPaging.EncodeCursor(cursor, ordered), out var back) && back == cursor;
        });
        Gen.String.Sample(text => LedgerPaging.TryDecode(text, out _) || Throws(() => LedgerPaging.Decode(text)));
    }

    private static bool Throws(Action action)
    {
        try
        {
            action();
            return false;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
