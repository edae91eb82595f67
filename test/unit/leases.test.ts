// The in-memory leases keep the port's promises, as the DynamoDB leases do.
import { leasesContract } from "../support/leases-contract.js";
import { InMemoryLeases } from "./lease-fakes.js";

leasesContract("the in-memory leases", async () => new InMemoryLeases());
