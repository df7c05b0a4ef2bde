using Autonomy.Ledger;

namespace Autonomy.Sellers;

/// <summary>DIGEST_DELIVERING: the intent to send a seller's daily digest, durable before the webhook is called.</summary>
public sealed record DigestDeliveringPayload(string SellerId, DateOnly Date, bool Webhook, string IdempotencyKey) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.DigestDelivering;
}

/// <summary>DIGEST_DELIVERED: how a digest left (channel, delivered, detail) and how much it held.</summary>
public sealed record DigestDeliveredPayload(
    string SellerId, DateOnly Date, string Channel, bool Delivered, string Detail, int Done, int Skipped, int Waiting, int AutonomousActions) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.DigestDelivered;
}
