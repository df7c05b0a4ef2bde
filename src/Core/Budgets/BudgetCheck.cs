using System.Text.Json.Serialization;

namespace Autonomy.Budgets;

/// <summary>
/// The result of asking the budget, with enough detail to ledger and explain it. A value: checking allocates nothing.
/// The detail is kept as which limit it speaks of and written out when read (the ledger payload, a downgrade); read back
/// from JSON, it is the stored text.
/// </summary>
public readonly struct BudgetCheck : IEquatable<BudgetCheck>
{
    private readonly string? _text;
    private readonly BudgetWording _wording;
    private readonly string? _actionType;
    private readonly int _inFlight;

    /// <summary>A check with its detail as text (read back from the ledger).</summary>
    [JsonConstructor]
    public BudgetCheck(bool allowed, string detail, int accountLimit, int accountUsed, int? typeLimit, int typeUsed)
        : this(allowed, BudgetWording.Text, null, 0, accountLimit, accountUsed, typeLimit, typeUsed) => _text = detail;

    private BudgetCheck(bool allowed, BudgetWording wording, string? actionType, int inFlight, int accountLimit, int accountUsed, int? typeLimit, int typeUsed)
    {
        (Allowed, _wording, _actionType, _inFlight) = (allowed, wording, actionType, inFlight);
        (AccountLimit, AccountUsed, TypeLimit, TypeUsed) = (accountLimit, accountUsed, typeLimit, typeUsed);
    }

    private enum BudgetWording : byte
    {
        Text,
        WithinAccount,
        AccountSpent,
        TypeSpent,
        InFlight,
    }

    public bool Allowed { get; }

    /// <summary>Which count stands against which limit; written out on each read unless the check was made from text.</summary>
    public string Detail => _wording switch
    {
        BudgetWording.WithinAccount => $"{AccountUsed + 1} of {AccountLimit} autonomous actions for this account today",
        BudgetWording.AccountSpent => $"{AccountUsed} of {AccountLimit} autonomous actions for this account today",
        BudgetWording.TypeSpent => $"{TypeUsed} of {TypeLimit} autonomous {_actionType} actions today",
        BudgetWording.InFlight => $"{_inFlight} executions await their result",
        _ => _text!,
    };

    public int AccountLimit { get; }

    public int AccountUsed { get; }

    public int? TypeLimit { get; }

    public int TypeUsed { get; }

    public static bool operator ==(BudgetCheck left, BudgetCheck right) => left.Equals(right);

    public static bool operator !=(BudgetCheck left, BudgetCheck right) => !left.Equals(right);

    /// <summary>Room for one more: the account's count after it against the account's limit.</summary>
    internal static BudgetCheck Within(int accountLimit, int accountUsed, int? typeLimit, int typeUsed) =>
        new(true, BudgetWording.WithinAccount, null, 0, accountLimit, accountUsed, typeLimit, typeUsed);

    /// <summary>The account's allowance for the day is used up.</summary>
    internal static BudgetCheck AccountSpent(int accountLimit, int accountUsed, int? typeLimit, int typeUsed) =>
        new(false, BudgetWording.AccountSpent, null, 0, accountLimit, accountUsed, typeLimit, typeUsed);

    /// <summary>The action type's allowance for the day is used up.</summary>
    internal static BudgetCheck TypeSpent(string actionType, int accountLimit, int accountUsed, int typeLimit, int typeUsed) =>
        new(false, BudgetWording.TypeSpent, actionType, 0, accountLimit, accountUsed, typeLimit, typeUsed);

    /// <summary>This check refused because <paramref name="inFlight"/> executions of unknown outcome fill the account's slots.</summary>
    internal BudgetCheck AwaitingResults(int inFlight) =>
        new(false, BudgetWording.InFlight, null, inFlight, AccountLimit, AccountUsed, TypeLimit, TypeUsed);

    /// <summary>Equal when every public part is, the detail compared as text however it is kept.</summary>
    public bool Equals(BudgetCheck other) =>
        Allowed == other.Allowed && AccountLimit == other.AccountLimit && AccountUsed == other.AccountUsed && TypeLimit == other.TypeLimit
        && TypeUsed == other.TypeUsed && string.Equals(Detail, other.Detail, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is BudgetCheck other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Allowed, Detail, AccountLimit, AccountUsed, TypeLimit, TypeUsed);

    public override string ToString() =>
        $"BudgetCheck {{ Allowed = {Allowed}, Detail = {Detail}, AccountLimit = {AccountLimit}, AccountUsed = {AccountUsed}, TypeLimit = {TypeLimit}, TypeUsed = {TypeUsed} }}";
}
