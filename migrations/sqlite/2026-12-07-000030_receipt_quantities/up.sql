-- Receipt by quantity (issue 15): each confirmed delivery line records how many units were
-- accepted and how many rejected (accepted + rejected = the line's shipped quantity; the reason
-- of the rejected ones stays in receipt_reason). Lines confirmed before were whole: an accepted
-- line accepted all it shipped, a rejected one rejected all (its reason kept as it was).
ALTER TABLE delivery_lines ADD COLUMN accepted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE delivery_lines ADD COLUMN rejected BIGINT NOT NULL DEFAULT 0;
UPDATE delivery_lines SET accepted = quantity WHERE receipt = 'accepted';
UPDATE delivery_lines SET rejected = quantity WHERE receipt = 'rejected';
