using Autonomy.Ledger;
using CsCheck;

namespace Autonomy.Tests.Ledger;

public sealed class LedgerHashTests
{
    private sealed record Fields(
        string EntryId, string TenantId, string StreamId, long Seq, string? RunId,
        string Type, DateTimeOffset At, string Actor, string Payload, string PrevHash)
    {
        public string Hash() => LedgerHash.Compute(EntryId, TenantId, StreamId, Seq, RunId, Type, At, Actor, Payload, PrevHash);

        // Instants, not representations: the hash is over UTC.
        public bool SameAs(Fields other) =>
            this with { At = default } == other with { At = default } && At.UtcTicks == other.At.UtcTicks;
    }

    private static readonly DateTimeOffset Base = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static Gen<string> Text(string chars, int max) =>
        Gen.Char[chars].Array[0, max].Select(c => new string(c));

    private static Gen<Fields> FieldsOf(string chars, int max, Gen<long> seq, Gen<DateTimeOffset> at) =>
        Gen.Select(
            Gen.Select(Text(chars, max), Text(chars, max), Text(chars, max), seq, Gen.Bool, Text(chars, max)),
            Gen.Select(Text(chars, max), at, Text(chars, max), Text(chars, max), Text(chars, max)),
            (a, b) => new Fields(a.Item1, a.Item2, a.Item3, a.Item4, a.Item5 ? null : a.Item6, b.Item1, b.Item2, b.Item3, b.Item4, b.Item5));

    private static readonly Gen<Fields> AnyFields = FieldsOf(
        "abz/-_ é{}\":0ü", 12, Gen.Long, Gen.Long[-1_000_000_000_000, 1_000_000_000_000].Select(t => Base.AddTicks(t)));

    // A tiny alphabet makes equal fields and shifted boundaries ("ab"+"c" vs "a"+"bc") common.
    private static readonly Gen<Fields> NarrowFields = FieldsOf(
        "ab", 2, Gen.Long[1, 2], Gen.Long[0, 1].Select(t => Base.AddTicks(t)));

    [Fact]
    public void GenesisIsSixtyFourZeros() => Assert.Equal(new string('0', 64), LedgerHash.Genesis);

    [Fact]
    public void HashIsDeterministicLowerHexAndValidatesItsEntry() =>
        AnyFields.Sample(f =>
        {
            var hash = f.Hash();
            Assert.Equal(hash, f.Hash());
            Assert.Matches("^[0-9a-f]{64}$", hash);
            var entry = new LedgerEntry(f.EntryId, f.TenantId, f.StreamId, f.Seq, f.RunId, f.Type, f.At, f.Actor, f.Payload, f.PrevHash, hash);
            Assert.True(LedgerHash.IsValid(entry));
            Assert.False(LedgerHash.IsValid(entry with { Payload = entry.Payload + " " }));
        });

    [Fact]
    public void HashChangesWhenAnyFieldChanges() =>
        Gen.Select(AnyFields, Gen.Int[0, 9], Text("abz/ éü", 12), Gen.Long).Sample((f, field, text, number) =>
        {
            var changed = field switch
            {
                0 => f with { EntryId = text },
                1 => f with { TenantId = text },
                2 => f with { StreamId = text },
                3 => f with { Seq = number },
                4 => f with { RunId = f.RunId is null ? text : null },
                5 => f with { Type = text },
                6 => f with { At = f.At.AddTicks(number % 1_000_000_000 is 0 ? 1 : number % 1_000_000_000) },
                7 => f with { Actor = text },
                8 => f with { Payload = text },
                _ => f with { PrevHash = text },
            };
            if (!changed.SameAs(f))
            {
                Assert.NotEqual(f.Hash(), changed.Hash());
            }
        });

    [Fact]
    public void EqualHashesOnlyForEqualEntries() =>
        Gen.Select(NarrowFields, NarrowFields).Sample((a, b) => Assert.Equal(a.SameAs(b), a.Hash() == b.Hash()), iter: 20_000);

    [Fact]
    public void NullRunIdAndEmptyRunIdHashDifferently()
    {
        var f = new Fields("le_1", "t", "s", 1, null, "x", Base, "system", "{}", LedgerHash.Genesis);
        Assert.NotEqual(f.Hash(), (f with { RunId = "" }).Hash());
    }

    [Fact]
    public void HashIgnoresTheOffsetOfTheSameInstant()
    {
        var f = new Fields("le_1", "t", "s", 1, "r", "x", Base, "system", "{}", LedgerHash.Genesis);
        Assert.Equal(f.Hash(), (f with { At = Base.ToOffset(TimeSpan.FromHours(5)) }).Hash());
    }

    [Fact]
    public void TimeIsFormattedAsUtcWithSevenFractionalDigits()
    {
        var at = new DateTimeOffset(2026, 3, 1, 14, 0, 0, TimeSpan.FromHours(2)).AddTicks(1234567);
        Assert.Equal("2026-03-01T12:00:00.1234567Z", LedgerHash.FormatTime(at));
        Assert.Equal(at, LedgerHash.ParseTime(LedgerHash.FormatTime(at)));
    }
}
