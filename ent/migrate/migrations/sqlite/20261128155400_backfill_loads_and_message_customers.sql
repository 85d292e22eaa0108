-- Data carried over from the start-up backfills of releases before
-- versioned migrations. On a new database both statements match nothing.

-- Messages stored before messages had a customer_id get their
-- conversation's customer, so the timeline finds them.
UPDATE messages SET customer_id = (
  SELECT conversations.customer_id FROM conversations WHERE conversations.id = messages.conversation_id
) WHERE customer_id IS NULL OR customer_id = '';

-- Agents stored before agents had a load get the count of their OPEN and
-- PENDING conversations, which routing's capacity checks read.
UPDATE agents SET load = (
  SELECT COUNT(*) FROM conversations
  WHERE conversations.assignee_id = agents.id AND conversations.status IN ('OPEN', 'PENDING')
) WHERE load = 0 AND EXISTS (
  SELECT 1 FROM conversations
  WHERE conversations.assignee_id = agents.id AND conversations.status IN ('OPEN', 'PENDING')
);
