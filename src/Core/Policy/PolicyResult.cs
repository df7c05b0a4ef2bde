using System.Text.Json.Serialization;

namespace Autonomy.Policy;

/// <summary>
/// The policy's answer, with the rule that produced it so the ledger can say which policy allowed it. A value: evaluating
/// the policy allocates nothing. The explanation is kept as the rule's wording and the values it names, and written out
/// when it is read (the ledger payload, a proposal, a response); read back from JSON, it is the stored text.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.PolicyResult")]
public readonly struct PolicyResult : IEquatable<PolicyResult>
{
    [Id(0)] private readonly PolicyDecision _decision;
    [Id(1)] private readonly PolicyReason _reason;
    [Id(2)] private readonly string? _text;
    [Id(3)] private readonly string _policyVersion;
    [Id(4)] private readonly string _rule;
    [Id(5)] private readonly PolicyWording _wording;
    [Id(6)] private readonly string? _subject;
    [Id(7)] private readonly double _value;
    [Id(8)] private readonly double _threshold;

    /// <summary>A result with its explanation as text (read back from the ledger, or a human's approval).</summary>
    [JsonConstructor]
    public PolicyResult(PolicyDecision decision, PolicyReason reason, string explanation, string policyVersion, string rule)
    {
        (_decision, _reason, _text, _policyVersion, _rule) = (decision, reason, explanation, policyVersion, rule);
    }

    internal PolicyResult(PolicyDecision decision, PolicyReason reason, string rule, PolicyWording wording, string? subject, double value = 0, double threshold = 0)
    {
        (_decision, _reason, _policyVersion, _rule) = (decision, reason, AutoApprovalPolicyV1.Version, rule);
        (_wording, _subject, _value, _threshold) = (wording, subject, value, threshold);
    }

    public PolicyDecision Decision => _decision;

    public PolicyReason Reason => _reason;

    /// <summary>What the rule tells a human; written out on each read unless the result was made from text.</summary>
    public string Explanation => _wording == PolicyWording.Text ? _text! : AutoApprovalPolicyV1.Word(_wording, _subject, _value, _threshold);

    public string PolicyVersion => _policyVersion;

    public string Rule => _rule;

    public static bool operator ==(PolicyResult left, PolicyResult right) => left.Equals(right);

    public static bool operator !=(PolicyResult left, PolicyResult right) => !left.Equals(right);

    /// <summary>Equal when every public part is, the explanation compared as text however it is kept.</summary>
    public bool Equals(PolicyResult other) =>
        _decision == other._decision
        && _reason == other._reason
        && string.Equals(_policyVersion, other._policyVersion, StringComparison.Ordinal)
        && string.Equals(_rule, other._rule, StringComparison.Ordinal)
        && (SameWording(other) || string.Equals(Explanation, other.Explanation, StringComparison.Ordinal));

    public override bool Equals(object? obj) => obj is PolicyResult other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_decision, _reason, Explanation, _policyVersion, _rule);

    public override string ToString() =>
        $"PolicyResult {{ Decision = {Decision}, Reason = {Reason}, Explanation = {Explanation}, PolicyVersion = {PolicyVersion}, Rule = {Rule} }}";

    private bool SameWording(PolicyResult other) =>
        _wording == other._wording
        && _wording != PolicyWording.Text
        && string.Equals(_subject, other._subject, StringComparison.Ordinal)
        && _value.Equals(other._value)
        && _threshold.Equals(other._threshold);
}

/// <summary>Which of the policy's sentences a result's explanation is (<see cref="Text"/>: the text itself is kept).</summary>
internal enum PolicyWording : byte
{
    Text,
    KillSwitchType,
    Disabled,
    UnknownType,
    LifecycleBlocked,
    ProposeOnly,
    ApprovalRequired,
    RiskHigh,
    ExternalContact,
    RiskMedium,
    NotAllowListed,
    LowConfidence,
    LifecycleNotAutonomous,
    Allowed,
    BudgetExhausted,
}
