using System.Collections.Immutable;

namespace Autonomy.Common;

/// <summary>Who asks: a user id (or "system") and the roles the token granted.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.Actor")]
public sealed record Actor([property: Id(0)] string Id, [property: Id(1)] ImmutableArray<string> Roles)
{
    public const string Admin = "admin";
    public const string Seller = "seller";
    public const string Auditor = "auditor";
    public const string Ingest = "ingest";
    public const string Operator = "operator";

    public static readonly Actor System = new("system", []);

    public bool Has(string role) => !Roles.IsDefault && Roles.Contains(role);
}
